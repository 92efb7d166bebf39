"""The one list of failure types: its values are a contract, and nothing writes a type elsewhere."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.contract.failures import FailureType
from app.language.nodes.flow import FailParameters

ROOT = Path(__file__).resolve().parents[2]

RAISED_BEFORE_THE_LIST = {
    "InvalidParameters": False, "NetworkError": True, "Timeout": True,
    "AccountUnusable": False, "AccountRevoked": False, "PlatformUnavailable": True,
    "PlatformRefused": False,
    "XRateLimited": True, "XServerError": True, "XBadRequest": False, "XUnauthorized": False,
    "XForbidden": False, "XNotFound": False, "XDuplicateContent": False, "XRefused": False,
    "InstagramRateLimited": True, "InstagramTokenExpired": False, "InstagramTransient": True,
    "InstagramRefused": False, "InstagramMediaFailed": False, "InstagramContainerExpired": True,
    "InstagramStillProcessing": True, "InstagramProcessingTimeout": False,
    "InstagramMediaNotFound": False,
    "HostNotAllowed": False, "AddressNotAllowed": False, "InvalidUrl": False,
    "TooManyRedirects": False, "ResponseTooLarge": False, "InvalidJson": False,
    "DecodingError": False,
}  # fmt: skip
"""Each type the activities raised before the list, and whether it was retried."""

INTERPRETER_TYPES_BEFORE_THE_LIST = {
    "ApplicationError", "InvalidParameters", "ExpressionError", "ValueTooDeep", "InternalError",
    "UnsupportedNode", "InvalidItems", "TooManyItems", "InvalidTimestamp", "SubWorkflowMissing",
    "NestingTooDeep", "NoTrigger", "InvalidInput", "AlreadyStarted", "Cancelled", "Terminated",
    "Timeout", "ChildFailed", "WorkflowFailed",
}  # fmt: skip
"""Each type the interpreter gave a node's failure before the list."""


def test_each_type_the_activities_raised_keeps_its_value_and_its_retries() -> None:
    listed = {member.value: member.retryable for member in FailureType}
    assert {name: listed.get(name) for name in RAISED_BEFORE_THE_LIST} == RAISED_BEFORE_THE_LIST


def test_each_type_the_interpreter_gave_keeps_its_value() -> None:
    assert {member.value for member in FailureType} >= INTERPRETER_TYPES_BEFORE_THE_LIST


def test_a_member_is_named_as_its_value_so_a_search_for_the_string_finds_its_use() -> None:
    assert [member.name for member in FailureType] == [member.value for member in FailureType]


@pytest.mark.parametrize("member", list(FailureType), ids=str)
def test_an_action_failing_with_a_type_is_retried_as_the_list_says(member: FailureType) -> None:
    error = member.error("what happened", {"status": 429})

    assert (error.type, error.message, error.details) == (
        member.value,
        "what happened",
        ({"status": 429},),
    )
    assert error.non_retryable is not member.retryable
    assert member.raised_by
    assert member.meaning


def test_a_fail_node_without_error_type_fails_with_the_listed_type() -> None:
    # The language sits below the contract and cannot import the list: the default is
    # written there, and held to the list here.
    assert FailParameters(message="no").error_type == FailureType.WorkflowFailed


def _typed_calls(source: str) -> list[int]:
    """The lines where `source` builds a failure with a type written in place (a string, an
    f-string, or one as the fallback of an `or`)."""
    found = []
    for call in ast.walk(ast.parse(source)):
        if not isinstance(call, ast.Call):
            continue
        name = (
            call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        )
        if name not in {"ApplicationError", "NodeFailedError", "NodeError"}:
            continue
        for keyword in call.keywords:
            written = isinstance(keyword.value, ast.Constant | ast.JoinedStr) or (
                isinstance(keyword.value, ast.BoolOp)
                and any(isinstance(value, ast.Constant) for value in keyword.value.values)
            )
            if keyword.arg == "type" and written:
                found.append(call.lineno)
    return found


def test_the_search_finds_types_written_in_place() -> None:
    source = """
raise ApplicationError("no", type="Refused", non_retryable=True)
raise control.NodeFailedError("no", type=f"HTTP{status}")
error = NodeError(type=cause.type or "ApplicationError", message="no")
raise ApplicationError("no", type=FailureType.XRateLimited)
"""
    assert _typed_calls(source) == [2, 3, 4]


def test_no_failure_type_is_written_outside_the_list() -> None:
    sources = [
        path
        for package in ("app", "workflows", "activities", "temporal")
        for path in sorted((ROOT / package).rglob("*.py"))
    ]
    written = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sources
        for line in _typed_calls(path.read_text())
    ]
    assert written == []
