"""What ends a node or a run early inside the interpreter. None of these leaves the workflow:
a node's failure becomes its `NodeError`, and the run ends failed or succeeded.

* InterpreterError                  message
  x NodeFailedError                 type: a node could not do its work; `type` and `message`
                                    become its NodeError (`app.contract.failures` lists them)
    + ValueTooDeepError             a value nests deeper than the state can carry
                                    (`workflows.bounded`)
    + RunStateTooLargeError         what the run keeps would pass its budget
                                    (`workflows.state_budget`)
    + InputTooLargeError            what a node hands to Temporal is too large for one
                                    payload (`workflows.state_budget`)
  x NodeFailure                     error: a node failed and its policy is to fail the run
  x RunStopped                      node_id, output: a `stop` node ended the run successfully

Anything else a node raises fails it too, as `InvalidParameters`, `ExpressionError`,
Temporal's own failure by class name, or `InternalError` (`workflows.nodes`).
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.state import NodeError


class InterpreterError(Exception):
    """Base of what ends a node or a run early."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NodeFailedError(InterpreterError):
    """A node could not do its work; `type` and `message` reach the run's error as they are."""

    def __init__(self, message: str, *, type: str) -> None:
        super().__init__(message)
        self.type = type


class NodeFailure(InterpreterError):
    """A node failed and its policy is to fail the run: `error` is that node's."""

    def __init__(self, error: NodeError) -> None:
        super().__init__(error.message)
        self.error = error


class RunStopped(InterpreterError):
    """A `stop` node (`node_id`) ended the run successfully with `output`."""

    def __init__(self, node_id: str, output: Any) -> None:
        super().__init__(node_id)
        self.node_id = node_id
        self.output = output
