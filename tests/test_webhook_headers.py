"""What of a webhook delivery's headers reaches the run (issue 12, point 11): no header that
carries a secret or proves knowledge of one, of any scheme, in any spelling; the rest does."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.language.nodes.triggers import WebhookTriggerParameters
from app.services.webhook_delivery import Delivery, trigger_payload

SECRET_BEARING = [
    # Meta (both), GitHub, and every sender that copied them
    "X-Hub-Signature", "X-Hub-Signature-256",
    # Stripe-style timestamped schemes, Standard Webhooks and Svix
    "Stripe-Signature", "Webhook-Signature", "Svix-Signature",
    # Other senders' signatures and tokens
    "X-Shopify-Hmac-Sha256", "X-Slack-Signature", "X-Twilio-Signature", "X-Line-Signature",
    "X-Square-Hmacsha256-Signature", "Paddle-Signature", "X-Razorpay-Signature",
    "X-HubSpot-Signature-V3", "Typeform-Signature", "X-Zm-Signature",
    "Twitch-Eventsub-Message-Signature", "X-Signature", "X-Signature-Ed25519",
    "X-Webhook-Signature", "X-Cc-Webhook-Signature", "X-PagerDuty-Signature",
    "X-Gitlab-Token", "X-Webhook-Token", "X-Telegram-Bot-Api-Secret-Token", "X-Hook-Secret",
    "X-Goog-Channel-Token", "X-Api-Key", "X-Auth-Token",
    # The sender's or a proxy's own credentials
    "Authorization", "Proxy-Authorization", "Cookie",
]  # fmt: skip
"""Headers senders put a secret in, or a proof of one (a signature is a chosen-message oracle
for whoever reads it)."""

KEPT = ["Content-Type", "User-Agent", "X-GitHub-Event", "X-GitHub-Delivery", "Webhook-Id",
        "Webhook-Timestamp", "X-Request-Id", "Stripe-Version"]  # fmt: skip

CONFIGURATIONS: list[dict[str, Any]] = [
    {},
    {"signature_header": "Stripe-Signature", "signature_scheme": "timestamped"},
    {"signature_header": "X-Custom-Proof"},
    {"authentication": "token", "token_header": "X-Our-Key"},
]


def any_case(name: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda upper: "".join(
            c.upper() if u else c.lower() for c, u in zip(name, upper, strict=True)
        )
    )


def headers_seen(parameters: dict[str, Any], headers: dict[str, str]) -> set[str]:
    options = WebhookTriggerParameters.model_validate(parameters)
    delivery = Delivery(method="POST", headers=headers, query={}, body=b"{}")
    return {name.lower() for name in trigger_payload(options, delivery)["headers"]}


@given(
    name=st.sampled_from(SECRET_BEARING).flatmap(any_case),
    parameters=st.sampled_from(CONFIGURATIONS),
)
def test_no_secret_bearing_header_of_any_scheme_reaches_the_run(
    name: str, parameters: dict[str, Any]
) -> None:
    assert headers_seen(parameters, {name: "sha1=0f0f", "content-type": "text/plain"}) == {
        "content-type"
    }


@given(parameters=st.sampled_from(CONFIGURATIONS))
def test_the_triggers_own_proof_header_never_reaches_the_run(parameters: dict[str, Any]) -> None:
    options = WebhookTriggerParameters.model_validate(parameters)
    own = [options.signature_header, options.token_header]
    assert headers_seen(parameters, {name.upper(): "x" for name in own}) == set()


def test_other_headers_reach_the_run() -> None:
    headers = {name.lower(): "v" for name in KEPT}
    for parameters in CONFIGURATIONS:
        assert headers_seen(parameters, headers) == set(headers)
