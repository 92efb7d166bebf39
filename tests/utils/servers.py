"""Real servers for tests: the API under uvicorn on a free port, and plain HTTP endpoints.

The emulator ships the same helper for its own in-process serving; tests use that one."""

from emulator.serving import free_port, serve

__all__ = ["free_port", "serve"]
