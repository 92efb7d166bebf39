"""What a decision that names no approval is told, by the run and by the API alike."""

from __future__ import annotations

from collections.abc import Sequence


def which_approval(waiting: Sequence[str]) -> str:
    """Why a decision without a node id answers none of `waiting` (not exactly one)."""
    if not waiting:
        return "no approval is waiting in this run"
    return f"{len(waiting)} approvals are waiting ({', '.join(waiting)}): name the node_id"
