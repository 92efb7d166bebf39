"""A plug-in whose dependency is not installed: importing it fails."""

import flowhold_no_such_dependency  # type: ignore[import-not-found]  # noqa: F401

PLATFORM = None
