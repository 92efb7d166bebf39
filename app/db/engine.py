"""The async engine and sessions; one URL setting serves SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


def async_url(url: str) -> URL:
    """The driver for the async engine: aiosqlite for SQLite, psycopg 3 for PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
    )


def sync_url(url: str) -> URL:
    """The driver Alembic migrates with (migrations run once, outside any request)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+pysqlite")
    return parsed.set(drivername="postgresql+psycopg")


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # A write-ahead log: a commit is one append and one sync (the default journal syncs two
    # or three times, 3-25 ms on a shared disk, in every webhook delivery's answer), and
    # readers do not wait for a writer. `synchronous` stays FULL: no commit is given up.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@dataclass(frozen=True)
class PoolLimits:
    """How many connections a process keeps and may open, and how long one is waited for."""

    size: int = 5
    """Connections kept open."""
    overflow: int = 10
    """Connections opened beyond `size` at busy times, closed when given back."""
    timeout_seconds: float = 30.0
    """How long a checkout waits before `sqlalchemy.exc.TimeoutError` (the API's 503)."""


def create_engine(url: str, pool: PoolLimits | None = None) -> AsyncEngine:
    target = async_url(url)
    limits = pool or PoolLimits()
    engine = create_async_engine(
        target,
        pool_pre_ping=target.get_backend_name() != "sqlite",
        pool_size=limits.size,
        max_overflow=limits.overflow,
        pool_timeout=limits.timeout_seconds,
    )
    if target.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
    return engine


class Database:
    """An engine and its session factory, owned by the API's lifespan."""

    def __init__(self, url: str, pool: PoolLimits | None = None) -> None:
        self.url = url
        self.engine = create_engine(url, pool)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


async def release(session: AsyncSession) -> None:
    """Give the session's connection back to the pool before a call that may wait on another
    service (Temporal, a platform): a request waiting there must not hold one of the pool's few
    connections, or a burst of such requests runs the pool dry. Ends the session's
    transaction (call it with nothing left to commit); what it loaded stays readable, and the
    session takes a connection again when next used."""
    await session.close()
