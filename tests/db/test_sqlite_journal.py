"""The engine's SQLite database keeps a write-ahead log and syncs every commit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from app.db.engine import Database
from tests.utils.databases import fresh_database


async def test_a_sqlite_database_is_opened_with_a_write_ahead_log(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        database = Database(url)
        try:
            async with database.session() as session:
                synchronous = (await session.exec(sa.text("PRAGMA synchronous"))).scalar_one()  # type: ignore[call-overload]
                await session.exec(sa.text("CREATE TABLE probe (n INTEGER)"))  # type: ignore[call-overload]
                await session.exec(sa.text("INSERT INTO probe VALUES (1)"))  # type: ignore[call-overload]
                await session.commit()
        finally:
            await database.dispose()
        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as other:  # another process's view: the commit is there
            assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert other.execute("SELECT n FROM probe").fetchall() == [(1,)]
    assert synchronous == 2  # FULL
