"""Runs: one service (`RunService`) that every trigger starts runs through and the API reads
and acts on them with, over the interpreter workflow on Temporal.

- `starting`: what a run carries (`RunStart`) and the one call that starts it;
- `reading`: a run's status from Temporal and its detail from the interpreter (`RunView`);
- `status`: the run statuses the API answers and filters with, and which are terminal;
- `listing`: runs from Temporal's visibility; `control`: events, decisions, cancel,
  terminate, and the input of a run to re-run; `rerunning`: what a rerun from the failed
  step keeps, and whether the latest version still fits it; `details` and `child_events`:
  what reading and events need from a run's history and plan; `deciders`: who decides an approval.
"""

from app.services.runs.deciders import Decider, decider_for_key, decider_for_link
from app.services.runs.listing import RunFilter, RunPage, RunSummary, RunTrigger
from app.services.runs.reading import RunView
from app.services.runs.rerunning import CorrectedInput
from app.services.runs.service import RunService
from app.services.runs.starting import (
    RunStart,
    StartedRun,
    keyed_run_id,
    listened_to,
    prepare_start,
)
from app.services.runs.status import RERUNNABLE, TERMINAL, RunStatus

__all__ = [
    "RERUNNABLE",
    "TERMINAL",
    "CorrectedInput",
    "Decider",
    "RunFilter",
    "RunPage",
    "RunService",
    "RunStart",
    "RunStatus",
    "RunSummary",
    "RunTrigger",
    "RunView",
    "StartedRun",
    "decider_for_key",
    "decider_for_link",
    "keyed_run_id",
    "listened_to",
    "prepare_start",
]
