"""`python -m app.health_probe URL`: exit 0 when URL answers 200 within 5 s, else 1. The
containers' health checks run it (the slim image has no curl); it imports nothing of ours,
so it costs a container a fraction of what importing the engine would."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].startswith(("http://", "https://")):
        print("usage: python -m app.health_probe http://HOST:PORT/PATH", file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(argv[0], timeout=5) as answer:  # noqa: S310 (http(s) only)
            return 0 if answer.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"{argv[0]}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
