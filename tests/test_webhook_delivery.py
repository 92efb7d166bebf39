"""Proof of origin of a webhook delivery: signatures in each accepted form, and tokens."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from app.errors import AuthenticationError, ConflictError, PayloadTooLargeError
from app.language.nodes.triggers import WebhookTriggerParameters
from app.services.webhook_delivery import Delivery, authenticate, read_capped, trigger_payload
from app.services.webhook_signatures import body_identity
from tests.utils.properties import examples

SECRET = "whsec_test"
BODY = b'{"id": "evt_1"}'
NOW = 1_700_000_000


def digest(message: bytes) -> bytes:
    return hmac.new(SECRET.encode(), message, hashlib.sha256).digest()


def check(header: str, **parameters: Any) -> None:
    """Authenticate BODY carrying `header` in X-Sig, at NOW."""
    delivery = Delivery(method="POST", headers={"x-sig": header}, query={}, body=BODY)
    options = WebhookTriggerParameters.model_validate({"signature_header": "X-Sig", **parameters})
    authenticate(options, delivery, SECRET, now=NOW)


def refused(header: str, **parameters: Any) -> str:
    with pytest.raises(AuthenticationError) as caught:
        check(header, **parameters)
    return str(caught.value)


def test_a_hex_signature_is_case_insensitive() -> None:
    check("sha256=" + digest(BODY).hex().upper())


def test_a_base64_signature_is_compared_exactly() -> None:
    good = base64.b64encode(digest(BODY)).decode()
    check(good, signature_prefix="", signature_encoding="base64")
    assert "does not match" in refused(
        good.swapcase(), signature_prefix="", signature_encoding="base64"
    )


def test_a_hex_signature_is_refused_where_base64_is_expected() -> None:
    refused("sha256=" + digest(BODY).hex(), signature_encoding="base64")


def stamped(at: int, *signatures: bytes) -> str:
    return ",".join([f"t={at}", *(f"v1={signature.hex()}" for signature in signatures)])


TIMESTAMPED: dict[str, Any] = {"signature_scheme": "timestamped"}


def test_a_timestamped_signature_signs_the_time_and_the_body() -> None:
    check(stamped(NOW, digest(f"{NOW}.".encode() + BODY)), **TIMESTAMPED)
    assert "does not match" in refused(stamped(NOW, digest(BODY)), **TIMESTAMPED)


def test_any_of_several_signatures_may_match_while_a_secret_rotates() -> None:
    old = hmac.new(b"old", f"{NOW}.".encode() + BODY, hashlib.sha256).digest()
    check(stamped(NOW, old, digest(f"{NOW}.".encode() + BODY)), **TIMESTAMPED)


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_outside_the_tolerance_is_refused_either_way(offset: int) -> None:
    at = NOW + offset
    message = refused(stamped(at, digest(f"{at}.".encode() + BODY)), **TIMESTAMPED)
    assert "more than 300 seconds from now" in message


def test_the_tolerance_is_a_parameter() -> None:
    at = NOW - 3000
    check(stamped(at, digest(f"{at}.".encode() + BODY)), **TIMESTAMPED, signature_tolerance="PT1H")


@pytest.mark.parametrize(
    "header", ["v1=00", f"t={NOW}", "t=soon,v1=00", f"t={NOW};v1=00", "t=\u0661\u0667,v1=00", ""]
)
def test_a_malformed_timestamped_header_says_its_form(header: str) -> None:
    assert "must be t=<unix seconds>,v1=" in refused(header, **TIMESTAMPED)


def test_a_token_is_compared_with_the_secret() -> None:
    options = WebhookTriggerParameters.model_validate({"authentication": "token"})
    delivery = Delivery(method="POST", headers={"x-webhook-token": SECRET}, query={}, body=b"")
    authenticate(options, delivery, SECRET)
    with pytest.raises(AuthenticationError):
        authenticate(options, delivery, "another")


@pytest.mark.parametrize(("method", "held"), [("POST", "hmac_sha256"), ("GET", "token")])
def test_a_stored_unauthenticated_webhook_is_held_to_a_secret(method: str, held: str) -> None:
    """Versions saved while `none` was allowed: a GET has no body to sign, so a token."""
    parameters = WebhookTriggerParameters.of_stored_plan(
        {"method": method, "authentication": "none"}
    )
    assert parameters.authentication == held


def test_a_signed_delivery_returns_the_digest_that_deduplicates_it() -> None:
    signed = digest(BODY).hex()
    headers = {"x-hub-signature-256": f"sha256={signed}"}
    delivery = Delivery(method="POST", headers=headers, query={}, body=BODY)
    identity = authenticate(WebhookTriggerParameters(), delivery, SECRET).body_identity
    assert identity == body_identity(bytes.fromhex(signed))
    assert signed not in str(identity)


def test_a_timestamped_retry_deduplicates_like_the_first_delivery() -> None:
    """A sender that retries signs again with a new time: the body's digest stays the same."""
    options = WebhookTriggerParameters.model_validate(
        {"signature_header": "X-Sig", "signature_scheme": "timestamped"}
    )
    digests = set()
    for stamp in (NOW, NOW + 60):
        signed = digest(f"{stamp}.".encode() + BODY).hex()
        headers = {"x-sig": f"t={stamp},v1={signed}"}
        delivery = Delivery(method="POST", headers=headers, query={}, body=BODY)
        digests.add(authenticate(options, delivery, SECRET, now=NOW + 60).body_identity)
    assert digests == {body_identity(digest(BODY))}


# Every parse is bounded before anything is verified (issue 12, point 6): whatever a sender
# puts in the headers, the answer is a 401 or an accepted delivery, never an exception.

SCHEMES: dict[str, dict[str, Any]] = {
    "body, hex": {},
    "body, base64": {"signature_prefix": "", "signature_encoding": "base64"},
    "timestamped": TIMESTAMPED,
    "token": {"authentication": "token", "token_header": "X-Sig"},
    "standard_webhooks": {"signature_scheme": "standard_webhooks"},
}
numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.integers(min_value=0, max_value=6000).map(lambda digits: "9" * digits),
    st.text(alphabet="0123456789\u0660\u0661\uff11+-_. e", max_size=5000),
)
stamped_headers = st.builds(
    lambda stamp, signatures, separator: separator.join([f"t={stamp}", *signatures]),
    numbers,
    st.lists(st.text(max_size=100).map(lambda text: "v1=" + text), max_size=40),
    st.sampled_from([",", ", ", ";"]),
)
any_header = st.one_of(st.text(max_size=3000), stamped_headers)


@given(scheme=st.sampled_from(sorted(SCHEMES)), header=any_header, body=st.binary(max_size=200))
@example(scheme="timestamped", header="t=" + "9" * 400 + ",v1=00", body=BODY)
@example(scheme="timestamped", header="t=" + "9" * 5000 + ",v1=00", body=BODY)
@settings(max_examples=examples(300))
def test_any_proof_header_is_refused_or_accepted_never_an_error(
    scheme: str, header: str, body: bytes
) -> None:
    headers = {"x-sig": header}
    if scheme == "standard_webhooks":
        headers = {"webhook-id": header, "webhook-timestamp": header, "webhook-signature": header}
    delivery = Delivery(method="POST", headers=headers, query={}, body=body)
    options = WebhookTriggerParameters.model_validate(
        {
            **({} if scheme == "standard_webhooks" else {"signature_header": "X-Sig"}),
            **SCHEMES[scheme],
        }
    )
    with contextlib.suppress(AuthenticationError):
        authenticate(options, delivery, SECRET, now=NOW + 0.25)  # a clock reads fractions


@pytest.mark.parametrize("digits", [13, 400])
def test_a_timestamp_too_long_to_be_a_time_says_its_form(digits: int) -> None:
    at = "9" * digits
    assert "must be t=<unix seconds>,v1=" in refused(f"t={at},v1=00", **TIMESTAMPED)


@pytest.mark.parametrize("declared", ["9" * 400, "9" * 5000, "11"])
async def test_a_declared_length_of_any_size_over_the_cap_is_a_413(declared: str) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"{}"

    with pytest.raises(PayloadTooLargeError):
        await read_capped(body(), declared_length=declared, limit=10)


STANDARD_SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
entries = st.one_of(
    st.from_regex(r"v1,[A-Za-z0-9+/]{43}=", fullmatch=True),
    st.text(max_size=60).map(lambda text: "v1," + text),
    st.text(max_size=20),
)


@given(
    message_id=st.text(max_size=300),
    stamp=st.one_of(numbers, st.just(str(int(time.time())))),
    signature=st.one_of(st.text(max_size=3000), st.lists(entries, max_size=20).map(" ".join)),
    body=st.binary(max_size=100),
)
@settings(max_examples=examples(300))
def test_any_standard_webhooks_headers_are_refused_or_accepted_never_an_error(
    message_id: str, stamp: str, signature: str, body: bytes
) -> None:
    headers = {"webhook-id": message_id, "webhook-timestamp": stamp, "webhook-signature": signature}
    delivery = Delivery(method="POST", headers=headers, query={}, body=body)
    options = WebhookTriggerParameters(signature_scheme="standard_webhooks")
    with contextlib.suppress(AuthenticationError):
        authenticate(options, delivery, STANDARD_SECRET)


def test_a_standard_webhooks_delivery_proves_its_signed_id() -> None:
    moment = datetime.now(UTC)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(STANDARD_SECRET).sign("msg_1", moment, BODY.decode()),
    }
    delivery = Delivery(method="POST", headers=headers, query={}, body=BODY)
    proof = authenticate(
        WebhookTriggerParameters(signature_scheme="standard_webhooks"), delivery, STANDARD_SECRET
    )
    assert proof.signed_id == "msg_1"
    signature = hmac.new(STANDARD_SECRET.encode(), BODY, hashlib.sha256).digest()
    assert proof.body_identity == body_identity(signature)


def test_a_standard_webhooks_trigger_with_another_kind_of_secret_is_a_conflict() -> None:
    """The sender cannot fix that: the answer says so rather than blaming its signature."""
    headers = {"webhook-id": "m", "webhook-timestamp": str(int(time.time())),
               "webhook-signature": "v1," + "A" * 43 + "="}  # fmt: skip
    delivery = Delivery(method="POST", headers=headers, query={}, body=BODY)
    with pytest.raises(ConflictError):
        authenticate(
            WebhookTriggerParameters(signature_scheme="standard_webhooks"), delivery, "not base64!"
        )


@pytest.mark.parametrize(
    "raw",
    [b'{"text": "cut \\ud83d"}', b'{"n": 1e309}', b'{"n": NaN}', b'{"\\udc00": 1}'],
    ids=["lone-surrogate", "overflow", "nan", "surrogate-key"],
)
def test_a_body_json_cannot_keep_reaches_the_run_as_the_text_it_is(raw: bytes) -> None:
    """A sender cannot be made to send it again: the run gets it exactly as sent, and it
    can be stored and encoded (a lone surrogate in it would fail canonical JSON)."""
    delivery = Delivery(method="POST", headers={}, query={}, body=raw)

    payload = trigger_payload(WebhookTriggerParameters(), delivery)

    assert payload["body"] == raw.decode()
    json.dumps(payload, ensure_ascii=False).encode()


def test_a_body_with_whole_emoji_is_json() -> None:
    delivery = Delivery(
        method="POST", headers={}, query={}, body='{"t": "😀 \\ud83d\\ude00"}'.encode()
    )

    assert trigger_payload(WebhookTriggerParameters(), delivery)["body"] == {"t": "😀 😀"}
