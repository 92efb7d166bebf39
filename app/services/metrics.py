"""What the API process counts for Prometheus besides its requests: runs it started and
webhook deliveries, served with the rest at `/metrics` (`app/api/metrics.py`).

Labels never name an organization, a workflow or a run: the metrics are read by operators
who may not read tenants' data, and one series per tenant would grow without bound."""

from __future__ import annotations

from typing import Literal

from prometheus_client import Counter

RUNS_STARTED = Counter(
    "flowhold_runs_started_total",
    "Runs this process started, by what triggered them (a repeated request starts none).",
    ["trigger"],
)

WEBHOOK_DELIVERIES = Counter(
    "flowhold_webhook_deliveries_total",
    "Webhook deliveries by outcome: accepted (a run started), deduplicated (seen before, no "
    "new run) or refused (with the HTTP status answered).",
    ["outcome", "status"],
)

DeliveryOutcome = Literal["accepted", "deduplicated", "refused"]


def count_delivery(outcome: DeliveryOutcome, status: int) -> None:
    WEBHOOK_DELIVERIES.labels(outcome, str(status)).inc()


def count_run_started(trigger: str) -> None:
    RUNS_STARTED.labels(trigger).inc()
