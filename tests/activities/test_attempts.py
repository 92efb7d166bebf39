"""Actions report the attempt that answered: around the output when asked, in every failure."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from app.contract.actions import ATTEMPT_KEY, ActionInput, output_of, reporting_attempt


def action(report_attempt: bool) -> ActionInput:
    return ActionInput(
        node_id="n", node_type="x.me", parameters={}, organization_id="org",
        idempotency_key="run/n/", report_attempt=report_attempt,
    )  # fmt: skip


async def run_attempt(function: Any, argument: ActionInput, attempt: int) -> Any:
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(environment.info, attempt=attempt)
    return await environment.run(reporting_attempt(function), argument)


@activity.defn(name="test.answer")
async def answer(action: ActionInput) -> dict[str, Any]:
    return {"id": "1"}


@activity.defn(name="test.refuse")
async def refuse(action: ActionInput) -> dict[str, Any]:
    raise ApplicationError("no", {"why": "because"}, type="Refused", non_retryable=True)


@activity.defn(name="test.crash")
async def crash(action: ActionInput) -> dict[str, Any]:
    raise KeyError("data")


def test_the_wrapper_keeps_the_activity_name() -> None:
    name = activity._Definition.must_from_callable(reporting_attempt(answer)).name
    assert name == "test.answer"


async def test_the_output_comes_with_its_attempt_when_asked() -> None:
    result = await run_attempt(answer, action(report_attempt=True), attempt=3)
    assert result == {ATTEMPT_KEY: 3, "output": {"id": "1"}}
    assert output_of(result) == ({"id": "1"}, 3)


async def test_the_output_stays_bare_for_older_interpreter_code() -> None:
    result = await run_attempt(answer, action(report_attempt=False), attempt=3)
    assert result == {"id": "1"}
    assert output_of(result) == ({"id": "1"}, None)


async def test_a_failure_keeps_its_type_and_details_and_adds_the_attempt() -> None:
    with pytest.raises(ApplicationError) as failure:
        await run_attempt(refuse, action(report_attempt=True), attempt=2)
    error = failure.value
    assert (error.message, error.type, error.non_retryable) == ("no", "Refused", True)
    assert error.details == ({"why": "because"}, {ATTEMPT_KEY: 2})


async def test_an_unexpected_exception_fails_retryable_under_its_class_name() -> None:
    with pytest.raises(ApplicationError) as failure:
        await run_attempt(crash, action(report_attempt=True), attempt=4)
    error = failure.value
    assert (error.type, error.non_retryable) == ("KeyError", False)
    assert error.details == ({ATTEMPT_KEY: 4},)
