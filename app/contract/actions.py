"""What the interpreter and the action activities agree on: an action's one input, and how
its answer reports the attempt that gave it.

Temporal retries an activity without the workflow seeing each attempt: a success or a
final failure arrives with nothing saying how many attempts it took. So every action
reports its `activity.info().attempt`: wrapped around its output when the interpreter asks
for it (`ActionInput.report_attempt`), and as the last detail of the error it fails with.
The activities wrap themselves with `reporting_attempt`; the interpreter reads both shapes
with `output_of` and `failed_attempt` (histories recorded before the report, and an
activity worker still running older code, give the bare output).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio import activity
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

from app.contract.failures import FailureType
from app.contract.payload_limits import MAX_ACTION_RESULT_BYTES


class ActionInput(BaseModel):
    """The single input of an action activity. Never carries a secret: accounts go by id."""

    model_config = ConfigDict(frozen=True)

    node_id: str
    node_type: str
    parameters: dict[str, Any]
    """Parameters with every template already rendered."""
    organization_id: str
    idempotency_key: str
    """Derived from run, node and iteration: the same logical step always has the same key."""
    account_id: str | None = None
    report_attempt: bool = False
    """Answer `{action_attempt, output}` instead of the bare output (`reporting_attempt`);
    interpreter code older than that field expects the bare output."""


ATTEMPT_KEY = "action_attempt"
"""The key of the attempt in a reported output and in a failure's last detail; no action
output has it, so a reported output is never mistaken for a bare one."""
OUTPUT_KEY = "output"

Action = Callable[[ActionInput], Awaitable[Any]]


def reporting_attempt(action: Action) -> Action:
    """`action` registered under its own name, reporting the attempt that answered."""
    name = activity._Definition.must_from_callable(action).name

    @activity.defn(name=name)
    async def reported(input: ActionInput) -> Any:
        attempt = activity.info().attempt
        try:
            output = await action(input)
        except ApplicationError as error:
            raise ApplicationError(
                error.message,
                *error.details,
                {ATTEMPT_KEY: attempt},
                type=error.type,
                non_retryable=error.non_retryable,
                next_retry_delay=error.next_retry_delay,
                category=error.category,
            ).with_traceback(error.__traceback__) from error.__cause__
        except Exception as error:
            # What the SDK would report for it (type: the class name; retryable), plus the attempt.
            raise ApplicationError(
                str(error), {ATTEMPT_KEY: attempt}, type=type(error).__name__
            ).with_traceback(error.__traceback__) from error.__cause__
        result = {ATTEMPT_KEY: attempt, OUTPUT_KEY: output} if input.report_attempt else output
        # Temporal would refuse the answer (TMPRL1103) on every attempt: fail once, saying why.
        [payload] = pydantic_data_converter.payload_converter.to_payloads([result])
        if payload.ByteSize() > MAX_ACTION_RESULT_BYTES:
            raise FailureType.ResultTooLarge.error(
                f"the action's answer is {payload.ByteSize()} bytes encoded; Temporal takes at "
                f"most {MAX_ACTION_RESULT_BYTES} in one payload: ask for less",
                {ATTEMPT_KEY: attempt},
            )
        return result

    return reported


def output_of(result: Any) -> tuple[Any, int | None]:
    """An activity's result as (output, attempt); attempt None: a bare output."""
    if isinstance(result, dict) and set(result) == {ATTEMPT_KEY, OUTPUT_KEY}:
        attempt = result[ATTEMPT_KEY]
        if isinstance(attempt, int) and attempt >= 1:
            return result[OUTPUT_KEY], attempt
    return result, None


def failed_attempt(error: ActivityError, maximum_attempts: int) -> int | None:
    """The attempt a failed action ended on: as the activity reported it, else all the
    retry policy allowed when those ran out (a timeout reports nothing), else None."""
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.details:
        last = cause.details[-1]
        if isinstance(last, dict) and set(last) == {ATTEMPT_KEY}:
            attempt = last[ATTEMPT_KEY]
            if isinstance(attempt, int) and attempt >= 1:
                return attempt
    if error.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED and maximum_attempts > 0:
        return maximum_attempts
    return None
