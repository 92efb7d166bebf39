"""Logs an operator can use: one line each, in JSON or text (`LOG_FORMAT`), carrying the
organization, run, node and attempt they are about, with secrets redacted.

- `context`: the fields a request or an activity binds, added to every line it writes.
- `redaction`: what never reaches a log (tokens by their shape, secrets the vault opened).
- `formatting`: the two formats, and a typed failure (a platform's 429) as one line with its
  cause instead of a traceback; `configure_logging` installs them for a process.
"""

from app.logs.context import bind, bound_fields, log_fields
from app.logs.formatting import configure_logging
from app.logs.redaction import redact, remember_secrets

__all__ = [
    "bind",
    "bound_fields",
    "configure_logging",
    "log_fields",
    "redact",
    "remember_secrets",
]
