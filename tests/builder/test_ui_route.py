"""`/ui` serves the committed bundle: the app's page for any path under it (the app routes in
the browser), hashed assets cached for good, the page revalidated, nothing outside it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.api import builder_ui
from app.api.main import create_app
from app.settings import Settings
from tests.utils.servers import serve


@pytest.fixture(scope="module")
async def ui(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    tmp = tmp_path_factory.mktemp("ui")
    settings = Settings(
        environment="test", database_url=f"sqlite:///{tmp / 'db.sqlite'}", data_dir=tmp
    )
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


def an_asset() -> str:
    return next(path.name for path in (builder_ui.BUNDLE / "assets").glob("*.js"))


async def test_the_builder_page_is_served_at_ui_and_revalidated(ui: httpx.AsyncClient) -> None:
    response = await ui.get("/ui/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert '<div id="root">' in response.text


async def test_any_path_under_ui_answers_the_page_for_the_app_to_route(
    ui: httpx.AsyncClient,
) -> None:
    page = (await ui.get("/ui/")).text
    for path in ("/ui/runs/run_1", "/ui/workflows/wf_1/run", "/ui/accounts"):
        response = await ui.get(path)
        assert (response.status_code, response.text) == (200, page), path


async def test_ui_without_a_slash_redirects_to_the_page(ui: httpx.AsyncClient) -> None:
    response = await ui.get("/ui")
    assert (response.status_code, response.headers["location"]) == (308, "/ui/")


async def test_hashed_assets_are_cached_for_a_year(ui: httpx.AsyncClient) -> None:
    response = await ui.get(f"/ui/assets/{an_asset()}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        ("text/javascript", "application/javascript")
    )
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_a_missing_asset_is_a_404_not_the_page(ui: httpx.AsyncClient) -> None:
    response = await ui.get("/ui/assets/index-missing.js")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"


async def test_nothing_outside_the_bundle_is_served(ui: httpx.AsyncClient) -> None:
    for path in (
        "/ui/..%2Fsettings.py",
        "/ui/assets/..%2F..%2Fsettings.py",
        "/ui/%2E%2E/api/main.py",
    ):
        response = await ui.get(path)
        # The app's page (its router says "Not found") or a 404, never the file.
        assert response.status_code in (200, 404), path
        assert "import" not in response.text, path


async def test_paths_that_cannot_name_a_file_get_the_page_not_a_server_error(
    ui: httpx.AsyncClient,
) -> None:
    for path in ("/ui/%00", "/ui/a%00b", "/ui/" + "a" * 5000, "/ui/%2Fetc%2Fpasswd"):
        response = await ui.get(path)
        assert response.status_code == 200, path
        assert '<div id="root">' in response.text, path
    assert (await ui.get("/ui/assets/%00")).status_code == 404


async def test_the_page_forbids_framing_and_foreign_scripts(ui: httpx.AsyncClient) -> None:
    headers = (await ui.get("/ui/")).headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


async def test_the_ui_routes_are_not_part_of_the_api_document(ui: httpx.AsyncClient) -> None:
    paths = (await ui.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith("/ui")]


def test_the_bundle_ships_as_package_data() -> None:
    pyproject = (Path(builder_ui.__file__).parents[2] / "pyproject.toml").read_text()
    assert 'app = ["ui/*.html", "ui/assets/*"]' in pyproject
    assert (builder_ui.BUNDLE / "index.html").is_file()
