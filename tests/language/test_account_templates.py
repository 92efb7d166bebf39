"""Issue 15, point 8: an action's account_id may be a template, known only at run time. It is
not looked up on save (the action checks it when it runs), but it is checked as any template
is: it must compile and read only what can exist when the node runs."""

from __future__ import annotations

from typing import Any

from app.catalog import CATALOG
from app.language.errors import Issue
from app.language.validation import validate

ACCOUNTS = {"acc_x": "x", "acc_ig": "instagram", "acc_http": "http"}


def issues_of(*nodes: dict[str, Any], edges: list[tuple[str, str]]) -> list[Issue]:
    document = {
        "nodes": [{"id": "start", "type": "trigger.manual"}, *nodes],
        "edges": [{"source": a, "target": b} for a, b in edges],
    }
    _, issues = validate(document, accounts=ACCOUNTS, catalog=CATALOG)
    return issues


def post(node_id: str, account_id: str) -> dict[str, Any]:
    return {"id": node_id, "type": "x.post", "parameters": {"text": "hi"}, "account_id": account_id}


def test_a_templated_account_is_left_to_run_time() -> None:
    assert issues_of(post("p", "{{ trigger.account }}"), edges=[("start", "p")]) == []


def test_a_templated_account_in_a_loop_reads_the_item() -> None:
    loop = {"id": "each", "type": "loop", "parameters": {"items": "trigger.accounts"}}
    document = {
        "nodes": [{"id": "start", "type": "trigger.manual"}, loop, post("p", "{{ item.id }}")],
        "edges": [
            {"source": "start", "target": "each"},
            {"source": "each", "target": "p", "sourceHandle": "body"},
            {"source": "p", "target": "each"},
        ],
    }
    assert validate(document, accounts=ACCOUNTS, catalog=CATALOG)[1] == []


def test_a_plain_account_is_still_looked_up() -> None:
    [issue] = issues_of(post("p", "acc_gone"), edges=[("start", "p")])
    assert (issue.code, issue.path) == ("unknown_account", ("nodes", 1, "account_id"))


def test_a_templated_account_that_does_not_compile_is_refused_at_its_field() -> None:
    [issue] = issues_of(post("p", "{{ trigger.account + }}"), edges=[("start", "p")])
    assert (issue.code, issue.node_id, issue.path) == (
        "expression_syntax",
        "p",
        ("nodes", 1, "account_id"),
    )


def test_a_templated_account_may_read_only_nodes_upstream() -> None:
    later = {"id": "later", "type": "transform", "parameters": {"value": "acc_x"}}
    [issue] = issues_of(
        post("p", "{{ nodes.later.value }}"), later, edges=[("start", "p"), ("p", "later")]
    )
    assert (issue.code, issue.path) == ("reference_not_upstream", ("nodes", 1, "account_id"))


def test_a_node_without_an_account_takes_no_template_either() -> None:
    shaped = {"id": "t", "type": "transform", "parameters": {"value": 1}, "account_id": "{{ a }}"}
    [issue] = issues_of(shaped, edges=[("start", "t")])
    assert issue.code == "unexpected_account"


def test_an_account_id_longer_than_an_id_must_be_a_template() -> None:
    [issue] = issues_of(post("p", "acc_" + "x" * 60), edges=[("start", "p")])
    assert issue.path == ("nodes", 1, "account_id")
    assert "at most 40 characters" in issue.message
    long_template = "{{ trigger.accounts_by_platform_and_region['x']['eu-central'] }}"
    assert issues_of(post("p", long_template), edges=[("start", "p")]) == []


def test_http_request_takes_an_x_or_instagram_account_but_not_an_ai_one() -> None:
    def request(account_id: str) -> dict[str, Any]:
        return {
            "id": "r",
            "type": "http.request",
            "parameters": {"url": "https://api.x.com/2/users/me"},
            "account_id": account_id,
        }

    for account in ("acc_x", "acc_ig", "acc_http"):
        assert issues_of(request(account), edges=[("start", "r")]) == [], account
    post_with_http = post("p", "acc_http")
    [issue] = issues_of(post_with_http, edges=[("start", "p")])
    assert issue.code == "wrong_account"
