"""Changing a stored plan behind validation's back, as a version stored before today's checks
would hold it: what the API must still answer with a 4xx."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from app.db.engine import sync_url
from app.settings import Settings


def rewrite_latest_plan(
    settings: Settings, workflow_id: str, change: Callable[[dict[str, Any]], None]
) -> None:
    """Apply `change` to the plan of the workflow's latest version, in the database."""
    engine = sa.create_engine(sync_url(settings.resolved_database_url))
    try:
        with engine.begin() as connection:
            row_id, plan = connection.execute(
                sa.text(
                    "SELECT v.id, v.plan FROM workflow_version v JOIN workflow w "
                    "ON w.id = v.workflow_id AND w.latest_version = v.version WHERE w.id = :id"
                ),
                {"id": workflow_id},
            ).one()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            change(plan)
            connection.execute(
                sa.text("UPDATE workflow_version SET plan = :plan WHERE id = :id"),
                {"plan": json.dumps(plan), "id": row_id},
            )
    finally:
        engine.dispose()
