"""`GET /healthz`: 200 when the database and Temporal answer, else 503 naming which failed."""

from __future__ import annotations

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from app.api.main import create_app
from tests.conftest import ApiHarness, make_settings
from tests.utils.servers import free_port, http_client, serve


async def test_health_is_ok_when_database_and_temporal_answer(api: ApiHarness) -> None:
    response = await http_client().get(f"{api.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "temporal": "ok"}}


async def test_health_names_temporal_when_it_does_not_answer(
    shared_database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(shared_database_url, f"127.0.0.1:{free_port()}", "q", tmp_path)
    async with serve(create_app(settings)) as url, http_client() as client:
        response = await client.get(f"{url}/healthz", timeout=20)
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["temporal"].startswith("unreachable")
    assert body["error"]["message"] == "not healthy: temporal"


async def test_health_names_the_database_when_it_does_not_answer(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    unreachable = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"
    target = temporal_env.client.service_client.config.target_host
    settings = make_settings(unreachable, target, "q", tmp_path)
    async with serve(create_app(settings)) as url, http_client() as client:
        response = await client.get(f"{url}/healthz", timeout=20)
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unreachable", "temporal": "ok"}
