"""Fresh databases for tests: a SQLite file, or a PostgreSQL database made and dropped per use."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.db.migrate import upgrade

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


def backends() -> list[str]:
    """The database kinds this run covers: SQLite always, PostgreSQL when configured."""
    return ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@contextmanager
def fresh_database(kind: str, tmp_dir: Path) -> Iterator[str]:
    """A migrated, empty database; dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_dir / f'test-{secrets.token_hex(4)}.db'}"
        upgrade(url)
        yield url
        return
    admin_url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"flowhold_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
