"""`POST /expressions/preview` over real HTTP: the engine's evaluator against sample data or
a run's node, failures as answers, the same budgets as a run, nothing stored, one
organization's runs only."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, foreign_client, manual_then, start_run, wait_for_end
from tests.utils.servers import http_client


async def preview(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/expressions/preview", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_template_renders_against_sample_data(api: ApiHarness) -> None:
    answer = await preview(
        api.client,
        {"source": "Hello {{ trigger.name }}", "context": {"trigger": {"name": "Ada"}}},
    )
    assert answer == {"value": "Hello Ada", "error": None}


async def test_a_whole_template_keeps_the_type_of_its_value(api: ApiHarness) -> None:
    sample = {"nodes": {"fetch": {"items": [1, 2, 3]}}, "vars": {"n": 2}}
    answer = await preview(
        api.client, {"source": "{{ nodes.fetch.items[:vars.n] }}", "context": sample}
    )
    assert answer["value"] == [1, 2]


async def test_an_expression_field_is_evaluated_bare_or_in_braces(api: ApiHarness) -> None:
    sample = {"item": {"ok": True}, "index": 4, "event": {"id": 7}}
    for source in ("item.ok and index == 4 and event.id == 7", "{{ item.ok and index == 4 }}"):
        answer = await preview(
            api.client, {"source": source, "mode": "expression", "context": sample}
        )
        assert answer == {"value": True, "error": None}


async def test_a_syntax_error_is_an_answer_with_its_offset(api: ApiHarness) -> None:
    answer = await preview(api.client, {"source": "Hi {{ trigger.name + }}", "context": {}})
    assert answer["value"] is None
    assert answer["error"]["type"] == "ExpressionSyntaxError"
    assert answer["error"]["offset"] is not None
    assert answer["error"]["message"]


async def test_an_evaluation_error_is_an_answer(api: ApiHarness) -> None:
    answer = await preview(api.client, {"source": "1 / 0", "mode": "expression"})
    assert answer["error"]["type"] == "ExpressionEvaluationError"


HOSTILE = [
    "[x for x in range(10000000)]",
    "'a' * 100000000",
    "2 ** 100000",
    "[[y for y in range(5000)] for x in range(5000)]",
    "().__class__.__bases__[0].__subclasses__()",
    "__import__('os').system('true')",
    "open('/etc/passwd').read()",
    "(" * 5000 + ")" * 5000,
    "len(str(trigger)) and str(trigger) * 1000",
]


async def test_hostile_expressions_hit_the_budgets_of_a_run_and_never_a_5xx(
    api: ApiHarness,
) -> None:
    big = {"trigger": ["x" * 1000] * 2000}
    for source in HOSTILE:
        response = await api.client.post(
            "/expressions/preview",
            json={"source": source, "mode": "expression", "context": big},
        )
        assert response.status_code == 200, (source[:40], response.text)
        error = response.json()["error"]
        assert error is not None, source[:40]
        assert error["type"].startswith("Expression"), error
    runaway = await preview(
        api.client, {"source": "{{ [x for x in range(10000000)] }}", "context": {}}
    )
    assert runaway["error"]["type"] == "ExpressionLimitError"


async def test_a_malformed_request_is_a_422_naming_the_field(api: ApiHarness) -> None:
    for body, where in (
        ({"mode": "template"}, "source"),
        ({"source": "1", "mode": "python"}, "mode"),
        ({"source": 5}, "source"),
        ({"source": "1", "context": {"run_id": "run_x"}}, "context"),
        ({"source": "1", "context": {"nodes": []}}, "context"),
    ):
        response = await api.client.post("/expressions/preview", json=body)
        assert response.status_code == 422, (body, response.text)
        paths = [detail["path"] for detail in response.json()["error"]["details"]]
        assert any(where in path for path in paths), (body, paths)


FETCH_THEN_GREET = manual_then(
    {"id": "fetch", "type": "transform", "parameters": {"value": {"name": "{{ trigger.name }}"}}},
    {"id": "greet", "type": "transform", "parameters": {"value": "Hi {{ nodes.fetch.name }}"}},
    {"id": "after", "type": "transform", "parameters": {"value": 1}},
)


async def test_a_run_context_gives_the_roots_the_node_saw(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, FETCH_THEN_GREET)
    run_id = await start_run(api.client, workflow_id, {"name": "Ada"})
    await wait_for_end(api.client, run_id)
    context = {"run_id": run_id, "node_id": "greet"}
    answer = await preview(
        api.client,
        {"source": "{{ nodes.fetch.name }} / {{ trigger.name }} / {{ run.id }}",
         "context": context},
    )  # fmt: skip
    assert answer == {"value": f"Ada / Ada / {run_id}", "error": None}
    later = await preview(api.client, {"source": "Hello {{ nodes.after }}", "context": context})
    assert later["value"] is None
    assert later["error"] == {
        "type": "ExpressionError",
        "message": "nodes.after is not upstream of greet",
        "offset": 9,
    }
    itself = await preview(api.client, {"source": "{{ nodes.greet }}", "context": context})
    assert itself["error"]["message"] == "a node cannot read its own output"


async def test_a_run_context_names_a_node_of_that_run(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, FETCH_THEN_GREET)
    run_id = await start_run(api.client, workflow_id, {"name": "Ada"})
    await wait_for_end(api.client, run_id)
    response = await api.client.post(
        "/expressions/preview",
        json={"source": "1", "context": {"run_id": run_id, "node_id": "nowhere"}},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == ["body", "context", "node_id"]


async def test_another_organizations_run_is_not_found(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, FETCH_THEN_GREET)
    run_id = await start_run(api.client, workflow_id, {"name": "Ada"})
    await wait_for_end(api.client, run_id)
    body = {"source": "{{ trigger.name }}", "context": {"run_id": run_id, "node_id": "greet"}}
    async with await foreign_client(api) as other:
        response = await other.post("/expressions/preview", json=body)
    assert response.status_code == 404
    assert "Ada" not in response.text


async def test_a_read_only_key_may_preview_and_nothing_is_stored(api: ApiHarness) -> None:
    key = (await api.client.post("/api-keys", json={"name": "r", "read_only": True})).json()
    before = (await api.client.get("/runs")).json()
    async with http_client(
        base_url=api.url, headers={"Authorization": f"Bearer {key['key']}"}, timeout=30
    ) as reader:
        answer = await preview(reader, {"source": "{{ 1 + 1 }}"})
    assert answer == {"value": 2, "error": None}
    assert (await api.client.get("/runs")).json() == before


async def test_hostile_requests_are_refused_or_answered_never_a_5xx(api: ApiHarness) -> None:
    deep = "[" * 3000 + '"x"' + "]" * 3000  # written out: the test's own encoder would recurse
    nested = "[" * 900 + '"x"' + "]" * 900

    def with_trigger(source: str, trigger: str, mode: str = "template") -> str:
        body = {"source": source, "mode": mode, "context": {"trigger": "@T@"}}
        return json.dumps(body).replace('"@T@"', trigger)

    raw = [
        with_trigger("{{ trigger }}", nested),
        with_trigger("{{ [trigger] }}", nested),
        with_trigger("{{ str(trigger) }}", nested),
        with_trigger("{{ trigger }}", deep),
        with_trigger("{{ str(trigger) }}", deep),
        with_trigger("trigger == trigger", deep, "expression"),
        '{"source": "{{ 1 }}", "source": 3}',
        '{"source": "{{ 1 }}"',
        '{"source": "{{ \\ud800 }}"}',
    ]
    for text in raw:
        response = await api.client.post(
            "/expressions/preview", content=text, headers={"Content-Type": "application/json"}
        )
        assert response.status_code < 500, (text[:60], response.text[:300])
    bodies: list[Any] = [
        {"source": "x" * 200_000},
        {"source": "{{ nodes }}", "context": {"run_id": "run_nope", "node_id": "a"}},
        {"source": "{{ 1 }}", "context": {"run_id": "../../etc", "node_id": "a"}},
        {"source": "{{ 1 }}", "context": {"run_id": "run_x", "node_id": "no spaces"}},
        {"source": "\x00{{ '\x00' }}"},
        [],
        "text",
    ]
    for body in bodies:
        response = await api.client.post("/expressions/preview", json=body)
        assert response.status_code < 500, (str(body)[:60], response.text[:300])
        if response.status_code == 200:
            assert response.json()["error"] is not None, str(body)[:60]
