"""Fresh databases for tests: a SQLite file, or a PostgreSQL database made and dropped per use.

Each is a copy of one database per kind that the migrations build once per process: Alembic
loads every migration script anew each time, which costs a hundred times what a copy does.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from app.db.migrate import upgrade

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


def backends() -> list[str]:
    """The database kinds this run covers: SQLite always, PostgreSQL when configured."""
    return ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def _admin_url() -> URL:
    return make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")


def _postgres(statement: str) -> None:
    admin = sa.create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        admin.dispose()


def _postgres_url(name: str) -> str:
    return _admin_url().set(database=name).render_as_string(hide_password=False)


def _drop_postgres(name: str) -> None:
    _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_templates: dict[str, str] = {}
"""Per kind, the migrated database fresh ones copy: a SQLite file's path, a PostgreSQL name."""


def _template(kind: str) -> str:
    if kind not in _templates:
        if kind == "sqlite":
            directory = tempfile.mkdtemp(prefix="flowhold-template-")
            atexit.register(shutil.rmtree, directory, ignore_errors=True)
            path = str(Path(directory) / "template.db")
            upgrade(f"sqlite:///{path}")
            _templates[kind] = path
        else:
            name = f"flowhold_template_{secrets.token_hex(6)}"
            _postgres(f'CREATE DATABASE "{name}"')
            atexit.register(_drop_postgres, name)
            upgrade(_postgres_url(name))
            _templates[kind] = name
    return _templates[kind]


@contextmanager
def fresh_database(kind: str, tmp_dir: Path) -> Iterator[str]:
    """A migrated, empty database; dropped afterwards."""
    if kind == "sqlite":
        path = tmp_dir / f"test-{secrets.token_hex(4)}.db"
        shutil.copyfile(_template(kind), path)
        yield f"sqlite:///{path}"
        return
    name = f"flowhold_test_{secrets.token_hex(6)}"
    _postgres(f'CREATE DATABASE "{name}" TEMPLATE "{_template(kind)}"')
    try:
        yield _postgres_url(name)
    finally:
        _drop_postgres(name)
