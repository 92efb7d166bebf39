"""What the interpreter counts for operators: node executions by type and outcome, and the
retries Temporal made of actions. Through the SDK's workflow metric meter, to the worker's
Prometheus endpoint (`WORKER_METRICS_ADDRESS`) with the SDK's own metrics.

Replay-safe: the SDK's workflow meter records nothing while a history is replayed, and a
metric is no command, so counting changes nothing a history holds and needs no patch. Labels
are node types and outcomes only, never an organization, a workflow or a run."""

from __future__ import annotations

from typing import Literal

from temporalio import workflow

NodeOutcome = Literal["succeeded", "failed", "skipped", "cancelled"]


class EngineMetrics:
    """One run's counters; made when the run starts (a meter is the SDK's, never shared
    through module state)."""

    def __init__(self) -> None:
        meter = workflow.metric_meter()
        self._nodes = meter.create_counter(
            "flowhold_node_executions", "Nodes run to an end, by node type and outcome."
        )
        self._retries = meter.create_counter(
            "flowhold_action_retries", "Attempts of actions after their first, by node type."
        )

    def node_ended(self, node_type: str, outcome: NodeOutcome) -> None:
        self._nodes.add(1, {"node_type": node_type, "outcome": outcome})

    def retried(self, node_type: str, retries: int) -> None:
        if retries > 0:
            self._retries.add(retries, {"node_type": node_type})
