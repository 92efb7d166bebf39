"""The dynamic config the embedded and test servers run with, and the compose file's server
(`deploy/temporal/dynamicconfig/flowhold.yaml`, kept equal by tests/test_compose.py); an
operator's cluster needs the same values (README: Production).

- Fairness keys (`temporal.fairness`): `matching.enableFairness`.
- Eager activities: the server hands an activity to the worker that scheduled it, in the
  answer to the workflow task that scheduled it, instead of putting it on the task queue
  for a poll: one round trip and a matching dispatch less per action, 20-30 % of the
  server's CPU per run (`bench/worker_cpu.py`, `no-eager`). The worker asks only when it has
  a free activity slot, so when the slots are all taken activities still queue, and
  fairness orders them. History, retries and timeouts are those of any activity: the step
  is still recorded once.
- Prompt dispatch of workflow tasks: the history service hands a new workflow task (a run
  started, an action ended, a signal) to matching through its transfer queue, whose reader
  polls the database at most `history.transferProcessorMaxPollRPS` times a second (20 by
  default, per history shard). The embedded server has one shard, so with the default each
  workflow task waited ~40 ms for the reader's next poll: 3 of a run's 5 steps of latency
  in a webhook → GET → if → POST run, and more server CPU per run, not less
  (bench/README.md: "Workflow tasks waited for the transfer queue"). A task is still
  written to the database before it is dispatched; only the wait goes.
"""

from __future__ import annotations

from temporal.fairness import FAIRNESS_DYNAMIC_CONFIG

EAGER_ACTIVITIES_DYNAMIC_CONFIG: dict[str, str] = {"system.enableActivityEagerExecution": "true"}

PROMPT_DISPATCH_DYNAMIC_CONFIG: dict[str, str] = {"history.transferProcessorMaxPollRPS": "1000"}
"""A poll of the transfer queue at most every millisecond: at the embedded server's busiest
(tens of workflow tasks a second) the reader polls on each new task, and each poll reads
every task written since the last one."""

SERVER_DYNAMIC_CONFIG: dict[str, str] = (
    FAIRNESS_DYNAMIC_CONFIG | EAGER_ACTIVITIES_DYNAMIC_CONFIG | PROMPT_DISPATCH_DYNAMIC_CONFIG
)
"""What the embedded and test servers run with; an operator's cluster needs the same."""


def dynamic_config_flags(config: dict[str, str] | None = None) -> list[str]:
    """`--dynamic-config-value KEY=VALUE` flags for `temporal server start-dev`
    (`SERVER_DYNAMIC_CONFIG` unless `config` says otherwise)."""
    flags: list[str] = []
    for key, value in (SERVER_DYNAMIC_CONFIG if config is None else config).items():
        flags += ["--dynamic-config-value", f"{key}={value}"]
    return flags
