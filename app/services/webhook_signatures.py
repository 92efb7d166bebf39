"""Checking a webhook delivery's signature, in each scheme a trigger may use.

Every header is read within bounds before the secret is used, so nothing a sender (or anyone
who knows the URL) writes in one can make the check fail other than with a 401. Signatures
are compared in constant time.

- `body`: the header holds a prefix and the HMAC-SHA256 of the raw body.
- `timestamped` (Stripe style): `t=<unix seconds>,v1=<HMAC of "<t>.<body>">`, within the
  trigger's tolerance of now.
- `standard_webhooks` (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp`
  and `webhook-signature`, the HMAC of `<id>.<timestamp>.<body>` under a `whsec_<base64>`
  key, checked by the `standardwebhooks` package: the id is signed, so it identifies the
  message for deduplication.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import timedelta

from standardwebhooks import Webhook, WebhookVerificationError

from app.errors import AuthenticationError, ConflictError
from app.language.nodes.triggers import WebhookTriggerParameters

MAX_PROOF_LENGTH = 2048
"""A signature, token or id header longer than this is refused unread."""
MAX_SIGNATURES = 16
"""Signatures one header may offer (several while a sender rotates its secret)."""
MAX_TIMESTAMP_DIGITS = 12
"""Unix seconds in at most 12 digits: until the year 33658."""

STANDARD_ID = "webhook-id"
STANDARD_TIMESTAMP = "webhook-timestamp"
STANDARD_SIGNATURE = "webhook-signature"
STANDARD_TOLERANCE = timedelta(minutes=5)
"""How far a Standard Webhooks timestamp may be from now: the package's, fixed."""
MAX_STANDARD_ID_LENGTH = 256
_STANDARD_ENTRY = re.compile(r"v1,[A-Za-z0-9+/]{43}=|v(?!1,)[0-9a-z]{1,8},[A-Za-z0-9+/=]{1,200}")
"""One `webhook-signature` entry: a v1 HMAC-SHA256 in base64, or another version's
signature, which the package skips."""
_STANDARD_SECRET = re.compile(r"(?:whsec_)?[A-Za-z0-9+/]+={0,2}")


def proof_header(headers: Mapping[str, str], name: str) -> str:
    """The header `name` (headers by lower-case name); 401 when it is missing or too long."""
    value = headers.get(name.lower())
    if value is None:
        raise AuthenticationError(f"missing {name} header")
    if len(value) > MAX_PROOF_LENGTH:
        raise AuthenticationError(f"{name} is longer than {MAX_PROOF_LENGTH} characters")
    return value


def is_unix_time(text: str) -> bool:
    """Whether `text` is Unix seconds as senders write them: ASCII digits, few enough to be a
    time (so reading it can neither fail nor overflow)."""
    return 0 < len(text) <= MAX_TIMESTAMP_DIGITS and text.isascii() and text.isdigit()


def _within(stamp: str, tolerance: float, now: float, header: str) -> None:
    if abs(int(now) - int(stamp)) > tolerance:
        raise AuthenticationError(
            f"the {header} timestamp is more than {tolerance:.0f} seconds from now: "
            "a delivery is accepted only shortly after it was signed"
        )


def hmac_of(secret: str, message: bytes) -> bytes:
    """HMAC-SHA256 of `message` under the secret (of the raw body: the body scheme's
    signature)."""
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def body_identity(digest: bytes) -> str:
    """What identifies a body for deduplication, from its HMAC (`hmac_of`): reveals nothing
    of the body and, unlike the HMAC, is no signature of it, so it may be stored."""
    return hashlib.sha256(b"flowhold webhook body\n" + digest).hexdigest()


def verify_body(parameters: WebhookTriggerParameters, signature: str, digest: bytes) -> None:
    """The body scheme: the header is the prefix and the body's HMAC."""
    prefix = parameters.signature_prefix
    if not signature.startswith(prefix) or not _matches(
        signature[len(prefix) :], digest, parameters.signature_encoding
    ):
        raise AuthenticationError(
            f"{parameters.signature_header} does not match the body: it must be '{prefix}' and "
            f"the {parameters.signature_encoding} HMAC-SHA256 of the raw body with the webhook's "
            "secret"
        )


def verify_timestamped(
    parameters: WebhookTriggerParameters, signature: str, secret: str, body: bytes, now: float
) -> None:
    """The timestamped scheme: `t=<unix seconds>,v1=<hmac>[,v1=...]`, within the tolerance."""
    header = parameters.signature_header
    stamp: str | None = None
    candidates: list[str] = []
    for item in signature.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            stamp = value
        elif key == "v1":
            candidates.append(value)
    if stamp is None or not is_unix_time(stamp) or not 0 < len(candidates) <= MAX_SIGNATURES:
        raise AuthenticationError(
            f"{header} must be t=<unix seconds>,v1=<{parameters.signature_encoding} HMAC-SHA256 "
            f"of '<t>.<body>'> (at most {MAX_SIGNATURES} v1)"
        )
    _within(stamp, parameters.signature_tolerance.total_seconds(), now, header)
    digest = hmac_of(secret, stamp.encode() + b"." + body)
    if not any(_matches(c, digest, parameters.signature_encoding) for c in candidates):
        raise AuthenticationError(
            f"{header} does not match the body: sign '<t>.<raw body>' with the webhook's secret"
        )


def _matches(candidate: str, digest: bytes, encoding: str) -> bool:
    given = candidate.strip()
    if encoding == "hex":
        expected, given = digest.hex(), given.lower()
    else:
        expected = base64.b64encode(digest).decode()
    return hmac.compare_digest(given.encode(), expected.encode())


STANDARD_KEY_FORM = (
    "a Standard Webhooks secret is whsec_ followed by the base64 of its key, as the sender shows it"
)


def standard_webhooks_key(secret: str) -> bytes | None:
    """The HMAC key of a `whsec_<base64>` secret (the prefix may be left out); None when the
    secret is not of that form."""
    if not _STANDARD_SECRET.fullmatch(secret):
        return None
    encoded = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True) or None
    except binascii.Error:
        return None


def verify_standard_webhooks(
    headers: Mapping[str, str], secret: str, body: bytes, now: float
) -> str:
    """Check a Standard Webhooks delivery with the `standardwebhooks` package, after reading
    each header within bounds; return its signed `webhook-id`."""
    message_id = proof_header(headers, STANDARD_ID)
    stamp = proof_header(headers, STANDARD_TIMESTAMP)
    signatures = proof_header(headers, STANDARD_SIGNATURE)
    if not (0 < len(message_id) <= MAX_STANDARD_ID_LENGTH and message_id.isascii()) or (
        not message_id.isprintable()
    ):
        raise AuthenticationError(
            f"{STANDARD_ID} must be 1 to {MAX_STANDARD_ID_LENGTH} printable ASCII characters"
        )
    if not is_unix_time(stamp):
        raise AuthenticationError(f"{STANDARD_TIMESTAMP} must be Unix seconds")
    _within(stamp, STANDARD_TOLERANCE.total_seconds(), now, STANDARD_TIMESTAMP)
    entries = signatures.split(" ")
    if len(entries) > MAX_SIGNATURES or not all(map(_STANDARD_ENTRY.fullmatch, entries)):
        raise AuthenticationError(
            f"{STANDARD_SIGNATURE} must be space-separated v1,<base64 HMAC-SHA256 of "
            f"'<{STANDARD_ID}>.<{STANDARD_TIMESTAMP}>.<body>'> (at most {MAX_SIGNATURES})"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise AuthenticationError("Standard Webhooks sign text: the body is not UTF-8") from None
    key = standard_webhooks_key(secret)
    if key is None:
        # The sender cannot fix this: the webhook's owner must set a secret of that form.
        raise ConflictError(
            f"this webhook's secret does not fit its scheme: {STANDARD_KEY_FORM} "
            "(PUT .../webhooks/{node_id}/secret)"
        )
    signed = {STANDARD_ID: message_id, STANDARD_TIMESTAMP: stamp, STANDARD_SIGNATURE: signatures}
    try:
        Webhook(key).verify(text, signed, json_parse=False)
    except WebhookVerificationError as error:
        raise AuthenticationError(
            f"{STANDARD_SIGNATURE} does not match: {error} (sign '<{STANDARD_ID}>."
            f"<{STANDARD_TIMESTAMP}>.<body>' with the webhook's secret)"
        ) from None
    return message_id
