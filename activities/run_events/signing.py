"""Standard Webhooks signatures (https://www.standardwebhooks.com): the HMAC-SHA256 of
`{webhook-id}.{webhook-timestamp}.{body}` under the base64-decoded `whsec_` secret."""

from __future__ import annotations

import base64
import hashlib
import hmac

SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix, not a secret)


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header: `v1,<base64 HMAC>`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
