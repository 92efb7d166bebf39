"""The administrative command line: organizations and keys, against a real database."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import cli
from app.db.engine import Database
from app.settings import get_settings
from app.store.operator import delete_organization


@pytest.fixture
def database(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_an_organization_is_created_with_a_key_shown_once(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "create-org", "Acme")
    assert code == 0
    assert re.search(r"API key \(shown once\): fh_\S+", out)
    code, listed = run(capsys, "list-orgs")
    assert "Acme" in listed


def test_keys_are_created_listed_and_revoked(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "create-org", "Acme")
    code, out = run(capsys, "create-key", "--name", "reader", "--read-only")
    assert code == 0
    key_id = re.search(r"API key (key_\w+)", out)
    assert key_id is not None
    secret = out.rsplit(" ", 1)[1].strip()
    _, listed = run(capsys, "list-keys")
    assert "read   active  reader" in listed
    assert secret not in listed
    code, _ = run(capsys, "revoke-key", key_id[1])
    assert code == 0
    _, listed = run(capsys, "list-keys")
    assert "read   revoked" in listed


def test_a_key_without_an_organization_is_refused(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "create-key")
    assert code == 1
    assert "no organization yet" in out


def test_revoking_an_unknown_key_fails(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "create-org", "Acme")
    code, out = run(capsys, "revoke-key", "key_nope")
    assert (code, out.strip()) == (1, "API key 'key_nope' not found")


def test_the_operator_lets_an_organization_reach_private_networks(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = run(capsys, "create-org", "Acme")
    organization_id = out.split()[1]
    code, out = run(capsys, "private-networks", "--organization", organization_id, "on")
    assert (code, out.strip()) == (
        0,
        f"{organization_id}: http.request may reach private networks",
    )
    code, out = run(capsys, "private-networks", "--organization", organization_id, "off")
    assert (code, out.strip()) == (
        0,
        f"{organization_id}: http.request may not reach private networks",
    )


def test_private_networks_need_an_existing_organization(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "create-org", "Acme")
    code, out = run(capsys, "private-networks", "--organization", "org_nope", "on")
    assert (code, out.strip()) == (1, "no organization 'org_nope'")


def test_a_key_is_made_for_a_person(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "create-org", "Acme")
    code, out = run(capsys, "create-key", "--scope", "write", "--person", "ann@example.com")
    assert code == 0
    assert re.search(r"write API key key_\w+ of ann@example.com for org_", out)
    _, listed = run(capsys, "list-keys")
    assert "(ann@example.com)" in listed
    code, out = run(capsys, "create-key", "--person", " ann")
    assert code == 1
    assert "no spaces around it" in out


def test_operator_keys_are_created_listed_and_revoked(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "create-operator-key", "--name", "ops")
    assert code == 0
    found = re.search(r"operator key (opk_\w+) \(shown once\): (fho_\S+)", out)
    assert found is not None
    _, listed = run(capsys, "list-operator-keys")
    assert f"{found[1]}  fho_" in listed
    assert "active  ops" in listed
    assert found[2] not in listed
    assert run(capsys, "revoke-operator-key", found[1])[0] == 0
    assert "revoked" in run(capsys, "list-operator-keys")[1]
    code, out = run(capsys, "revoke-operator-key", "opk_nobody")
    assert (code, out.strip()) == (1, "operator key 'opk_nobody' not found")


def test_an_organization_the_operator_deleted_is_not_listed_nor_the_default(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "create-org", "Gone")
    run(capsys, "create-org", "Staying")
    _, listed = run(capsys, "list-orgs")
    gone = listed.split()[0]

    async def delete() -> None:
        engine = Database(get_settings().resolved_database_url)
        try:
            async with engine.session() as session:
                await delete_organization(session, organization_id=gone)
        finally:
            await engine.dispose()

    asyncio.run(delete())
    _, listed = run(capsys, "list-orgs")
    assert "Gone" not in listed
    assert "Staying" in listed
    code, out = run(capsys, "create-key", "--name", "after")
    assert code == 0
    assert gone not in out
