"""Values JSON cannot keep — NaN, Infinity, numbers past a float's range, lone UTF-16
surrogates — are refused at every entrance with a 422 naming the field, never stored as
`null` or answered with a 500, and nothing is half stored."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ApiHarness
from tests.utils.api import GREETING_GRAPH, WAITING_GRAPH, create_workflow, start_run

BAD = {
    "nan": "NaN",
    "infinity": "Infinity",
    "minus-infinity": "-Infinity",
    "overflow": "1e309",
    "lone-surrogate": '"cut \\ud83d"',
}
"""Each as it appears in the raw body."""


def body_with(template: dict[str, Any], bad: str) -> str:
    """`template` as JSON with the string `"@BAD@"` replaced by `bad`, raw."""
    return json.dumps(template).replace('"@BAD@"', bad)


def deep_graph() -> dict[str, Any]:
    graph: dict[str, Any] = json.loads(json.dumps(GREETING_GRAPH))
    graph["nodes"][1]["parameters"]["value"] = {"greeting": "@BAD@"}
    return graph


ENTRANCES: list[tuple[str, str, dict[str, Any], list[Any]]] = [
    ("POST", "/workflows", {"name": "w", "graph": deep_graph()},
     ["graph", "nodes", 1, "parameters", "value", "greeting"]),
    ("POST", "/workflows/validate", {"graph": deep_graph()},
     ["graph", "nodes", 1, "parameters", "value", "greeting"]),
    ("POST", "/workflows/import", {"name": "i", "graph": deep_graph()},
     ["graph", "nodes", 1, "parameters", "value", "greeting"]),
    ("PATCH", "/organization", {"name": "@BAD@"}, ["name"]),
    ("POST", "/api-keys", {"name": "@BAD@"}, ["name"]),
]  # fmt: skip


async def _write(api: ApiHarness, method: str, path: str, raw: str) -> Any:
    return await api.client.request(
        method, path, content=raw, headers={"Content-Type": "application/json"}
    )


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize(("method", "path", "template", "where"), ENTRANCES)
async def test_an_unkeepable_value_is_refused_naming_its_field(
    api: ApiHarness, method: str, path: str, template: dict[str, Any], where: list[Any], bad: str
) -> None:
    workflows_before = (await api.client.get("/workflows")).json()["count"]

    answer = await _write(api, method, path, body_with(template, bad))

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"][0]["path"] == ["body", *where]
    assert (await api.client.get("/workflows")).json()["count"] == workflows_before


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
async def test_run_inputs_events_and_edits_refuse_them_too(api: ApiHarness, bad: str) -> None:
    greeting = await create_workflow(api.client, GREETING_GRAPH)
    waiting = await create_workflow(api.client, WAITING_GRAPH, name="wait")
    run_id = await start_run(api.client, waiting, {})

    answers = {
        "input": await _write(
            api, "POST", f"/workflows/{greeting}/runs", body_with({"input": {"n": "@BAD@"}}, bad)
        ),
        "payload": await _write(
            api, "POST", f"/runs/{run_id}/events",
            body_with({"name": "paid", "payload": ["@BAD@"]}, bad),
        ),
        "graph": await _write(
            api, "PATCH", f"/workflows/{greeting}", body_with({"graph": deep_graph()}, bad)
        ),
    }  # fmt: skip

    paths = {name: answer.json()["error"]["details"][0]["path"] for name, answer in answers.items()}
    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(
        answers, 422
    )
    assert paths["input"] == ["body", "input", "n"]
    assert paths["payload"] == ["body", "payload", 0]
    assert paths["graph"][:3] == ["body", "graph", "nodes"]
    versions = (await api.client.get(f"/workflows/{greeting}/versions")).json()
    assert versions["count"] == 1
    await api.client.post(f"/runs/{run_id}/cancel")


async def test_a_lone_surrogate_in_a_key_is_refused_too(api: ApiHarness) -> None:
    raw = '{"name": "w", "graph": {"nodes": [], "edges": [], "ke\\udc00y": 1}}'

    answer = await _write(api, "POST", "/workflows", raw)

    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["path"][:2] == ["body", "graph"]


async def test_a_body_over_the_limit_is_refused_unread(api: ApiHarness) -> None:
    answer = await api.client.post(
        "/workflows",
        content=b"[" + b"0," * (6 * 1024 * 1024) + b"0]",
        headers={"Content-Type": "application/json"},
    )

    assert answer.status_code == 413
    assert answer.json()["error"]["details"][0]["path"] == ["body"]


async def test_whole_emoji_and_ordinary_numbers_pass(api: ApiHarness) -> None:
    graph = deep_graph()
    raw = body_with({"name": "ok 😀", "graph": graph}, '"Hello \\ud83d\\ude00 1.5e308"')

    answer = await _write(api, "POST", "/workflows", raw)

    assert answer.status_code == 201, answer.text


async def test_a_body_nested_past_what_the_parser_can_follow_is_a_422(api: ApiHarness) -> None:
    deep = "[" * 5000 + "1" + "]" * 5000
    text = json.dumps({"name": "deep", "graph": GREETING_GRAPH}).replace(
        '"name": "deep"', f'"name": "deep", "extra": {deep}'
    )
    response = await api.client.post(
        "/workflows", content=text, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text[:300]
    assert "nested too deeply" in response.json()["error"]["message"]
    assert (await api.client.get("/workflows")).json()["count"] == 0
