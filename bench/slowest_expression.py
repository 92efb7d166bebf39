"""The slowest expression a search can find within the limits, and its time.

Expressions run inside Temporal workflow tasks, which the deadlock detector fails after
2 s; one node's evaluations (`Meter`, `Limits.max_work`) should take well under that on a
slow shared machine: the target is under 100 ms for the slowest expression found.

The search, over data as large as a run may carry (`tests/language/costly.py`):
hand-written worst cases (shared lists written out, compared, searched; big integers;
sorting; parsing); families of them grown to the largest size the limits let through
(each `{n}` doubled, then bisected, until refused); then Hypothesis's targeted search over
generated expressions, maximising the time of each evaluation. Each candidate is timed as
the best of `--repeat` runs (CPU time of this thread, the garbage collector paused: what
the expression costs, not what the machine's other load or a collection of the whole heap
adds), and the slowest are timed again.

Run: `make bench` (or `.venv/bin/python -m bench.slowest_expression [--examples N]`).
Not a test: the figures go in notes.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

from hypothesis import HealthCheck, given, settings, target

from app.language.expressions import DEFAULT_LIMITS, ExpressionError, compile_expression
from tests.language.costly import CONTEXT, evaluate, expressions

TARGET_SECONDS = 0.100
HAND_WRITTEN = [
    "str([[0] * 10000] * 9)",
    "len(json_encode([[str(i) for i in range(100)]] * 900))",
    "join([[str(i) for i in range(100)]] * 900, ',')",
    "[[[str(i) for i in range(100)]] * 100] * 7 == [[[str(i) for i in range(100)]] * 100] * 7",
    "[[str(i) for i in range(100)] + [1]] in [[str(i) for i in range(100)]] * 3000",
    "trigger.records == json_decode(json_encode(trigger.records[0:600]))",
    "sorted(trigger.words) == sorted(trigger.words)",
    "[len(str(trigger.big)) for x in range(10)]",
    "[trigger.big * trigger.big for x in range(10)]",
    "['a' * 1200 + 'b' in trigger.short for x in range(50)]",
    "['a' * 98 + 'b' in trigger.run for x in range(20)]",
    "len(split(trigger.text, 'a'))",
    "len(replace(trigger.text, 'a', 'bb'))",
    "len(json_decode(json_encode(trigger.numbers[0:10000])))",
    "[trigger.records, trigger.words, trigger.numbers]",
    "{'all': trigger}",
    "vars.shared == vars.shared",
    "str(vars.shared)",
    "[x == trigger.records for x in trigger.records[0:2000]]",
]
FAMILIES = [
    "len(json_encode(trigger.records[0:{n}]))",
    "[len(json_encode(trigger.records[0:400])) for x in range({n})]",
    "[len(str(x)) for x in trigger.records[0:{n}]]",
    "trigger.records[0:{n}] == json_decode(json_encode(trigger.records[0:{n}]))",
    "[sorted(trigger.words[0:2000]) for x in range({n})]",
    "[min(trigger.words) for x in range({n})]",
    "[x in trigger.words for x in trigger.words[0:{n}]]",
    "[x in trigger.numbers for x in range({n})]",
    "[trigger.records[0] in trigger.records for x in range({n})]",
    "['a' * 1200 + 'b' in trigger.short for x in range({n})]",
    "['a' * 98 + 'b' in trigger.run for x in range({n})]",
    "['aaaab' in trigger.text for x in range({n})]",
    "[trigger.big * trigger.big for x in range({n})]",
    "[trigger.big % 12345678901 for x in range({n})]",
    "[len(str(trigger.big)) for x in range({n})]",
    "[len(replace(trigger.text, 'a', 'bb')) for x in range({n})]",
    "[len(split(trigger.text, 'a')) for x in range({n})]",
    "[len(upper(trigger.text)) for x in range({n})]",
    "len(json_decode(json_encode(trigger.numbers[0:{n}])))",
    "[len(json_decode(json_encode(trigger.records[0:100]))) for x in range({n})]",
    "[[str(i) for i in range(100)] + [1]] in [[str(i) for i in range(100)]] * {n}",
    "[[[str(i) for i in range(100)]] * 100] * {n} == [[[str(i) for i in range(100)]] * 100] * {n}",
    "[trigger.records[0:{n}], trigger.words]",
    "[trigger.text[x:] == trigger.text[x:] for x in range({n})]",
    "[trigger.text < trigger.text + 'a' for x in range({n})]",
    "[len(trigger.zeros[0:{n}]) for x in range(20)]",
    "[[x, x, x] for x in range({n})]",
    "[{{'a': x, 'b': [x]}} for x in range({n})]",
    "[get(trigger, ['records', x, 'tags', 1]) for x in range({n})]",
    "[json_encode(trigger.deep) for x in range({n})]",
    "[format_datetime(now, '%A %B %d %Y %H:%M:%S %z') for x in range({n})]",
]
LARGEST_SIZE = 1 << 22


def timed(source: str, repeat: int) -> tuple[float, int]:
    """Best CPU time of `repeat` evaluations of `source` (seconds), and the work counted."""
    best = float("inf")
    work = 0
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            started = time.thread_time()
            work = evaluate(source).work
            best = min(best, time.thread_time() - started)
    finally:
        gc.enable()
    return best, work


def passes(source: str) -> bool:
    try:
        compile_expression(source).evaluate(CONTEXT)
    except ExpressionError:
        return False
    return True


def grown(family: str) -> str | None:
    """`family` with the largest `{n}` the limits let through (None if not even 1)."""
    if not passes(family.format(n=1)):
        return None
    low, high = 1, 2
    while high <= LARGEST_SIZE and passes(family.format(n=high)):
        low, high = high, high * 2
    while high - low > max(low // 64, 1):
        middle = (low + high) // 2
        low, high = (middle, high) if passes(family.format(n=middle)) else (low, middle)
    return family.format(n=low)


def search(examples: int, found: dict[str, tuple[float, int]]) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(expressions())
    def slowest(source: str) -> None:
        seconds, work = timed(source, 1)
        found[source] = (seconds, work)
        target(seconds)

    slowest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1500, help="expressions searched")
    parser.add_argument("--repeat", type=int, default=5, help="timings of each finalist")
    parser.add_argument("--top", type=int, default=10, help="finalists timed again and shown")
    arguments = parser.parse_args()

    found = {source: timed(source, 1) for source in HAND_WRITTEN}
    for family in FAMILIES:
        largest = grown(family)
        if largest is not None:
            found[largest] = timed(largest, 1)
    search(arguments.examples, found)
    finalists = sorted(found, key=lambda source: found[source][0], reverse=True)
    finalists = finalists[: arguments.top]
    results = sorted(
        ((*timed(source, arguments.repeat), source) for source in finalists), reverse=True
    )
    print(
        f"searched {len(found)} expressions ({len(HAND_WRITTEN)} written by hand, "
        f"{len(FAMILIES)} families grown to the limits)"
    )
    print(f"limit per node: {DEFAULT_LIMITS.max_work} units of work")
    for seconds, work, source in results:
        per_unit = seconds / max(work, 1) * 1e9
        print(f"  {seconds * 1000:7.1f} ms  {work:8d} units  {per_unit:6.0f} ns/unit  {source}")
    slowest_seconds, _, slowest_source = results[0]
    rates = [seconds / work * 1e9 for seconds, work, _ in results if work]
    print(f"slowest: {slowest_seconds * 1000:.1f} ms (target < {TARGET_SECONDS * 1000:.0f} ms)")
    print(f"  {slowest_source}")
    print(f"median of the finalists: {statistics.median(rates):.0f} ns per unit of work")


if __name__ == "__main__":
    main()
