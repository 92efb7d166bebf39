"""How many examples a property test tries: a sample in `make test`, the whole search in
`make deep` (FLOWHOLD_PROPERTIES=deep).

The properties are the same either way; only how far each search looks changes. Hypothesis
keeps the failing examples it finds (.hypothesis/) and tries them first in later runs, so a
deep run's finding is checked by every quick run after it on that machine.
"""

from __future__ import annotations

import os

DEEP = os.environ.get("FLOWHOLD_PROPERTIES") == "deep"
QUICK_SHARE = 4
"""`make test` tries a quarter of a search's examples (at least one)."""


def examples(full: int) -> int:
    """`full` in `make deep`; a quarter of it, rounded up, in `make test`."""
    return full if DEEP else -(-full // QUICK_SHARE)
