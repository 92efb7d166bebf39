"""Signed, single-use approval links: one approver of one waiting approval decides with the
link alone, without an API key (a notification can carry it).

A link's token binds the organization, run, node, approver, expiry and the link's id, under
an HMAC-SHA256 whose key is derived from SECRET_KEY for this purpose alone
(`app.vault.derivation`): changing any of them breaks the MAC. The token is never stored
(its row is), never put in a URL by the engine, and never written to a log or an error.
Its row makes it single-use: claiming it is one conditional update
(`app.store.approval_links`), so of two uses at the same moment one decides and the other
is refused. A claim whose decision the run did not take is given back.

A link is worth what the key that minted it is worth: any write key may mint one for any
approver of a waiting approval, and the decision records that key's id beside the link's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from app.contract.approvals import which_approval
from app.errors import (
    AuthenticationError,
    ConflictError,
    ErrorDetail,
    InvalidInputError,
    PermissionDeniedError,
)
from app.services.runs import RunService, RunStatus, decider_for_link
from app.store import approval_links as store
from app.vault.derivation import derive_key

TOKEN_PREFIX = "fhal_"  # noqa: S105 (a prefix, not a secret)
MAX_TOKEN_LENGTH = 4096
"""Longer is no token of ours: refused before anything decodes it."""
DEFAULT_LIFETIME = timedelta(days=7)
MAX_LIFETIME = timedelta(days=30)
_MAC_CONTEXT = b"flowhold approval link v1\n"


@dataclass(frozen=True)
class MintedLink:
    id: str
    run_id: str
    node_id: str
    approver: str
    expires_at: datetime
    token: str
    """Shown in this answer only."""


@dataclass(frozen=True)
class _Claims:
    link_id: str
    organization_id: str
    run_id: str
    node_id: str
    approver: str
    expires_at: datetime


def _mac(secret_key: str, payload: str) -> str:
    digest = hmac.new(
        derive_key(secret_key, "approval-link"), _MAC_CONTEXT + payload.encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _token(claims: _Claims, *, secret_key: str) -> str:
    body = {
        "l": claims.link_id, "o": claims.organization_id, "r": claims.run_id,
        "n": claims.node_id, "a": claims.approver, "e": int(claims.expires_at.timestamp()),
    }  # fmt: skip
    payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{TOKEN_PREFIX}{payload}.{_mac(secret_key, payload)}"


_INVALID = "invalid approval link"


def _claims_of(token: str, *, secret_key: str) -> _Claims:
    """The claims of a token minted here, or 401: whatever is wrong with it, the answer says
    nothing more (nor what the token was)."""
    if len(token) > MAX_TOKEN_LENGTH or not token.startswith(TOKEN_PREFIX):
        raise AuthenticationError(_INVALID)
    payload, _, mac = token[len(TOKEN_PREFIX) :].partition(".")
    if not hmac.compare_digest(mac.encode(), _mac(secret_key, payload).encode()):
        raise AuthenticationError(_INVALID)
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return _Claims(
            link_id=str(body["l"]),
            organization_id=str(body["o"]),
            run_id=str(body["r"]),
            node_id=str(body["n"]),
            approver=str(body["a"]),
            expires_at=datetime.fromtimestamp(int(body["e"]), UTC),
        )
    except (ValueError, TypeError, KeyError, OverflowError, binascii.Error):
        # Signed here, so never malformed unless SECRET_KEY signed something else.
        raise AuthenticationError(_INVALID) from None


async def mint(
    session: AsyncSession,
    runs: RunService,
    *,
    organization_id: str,
    run_id: str,
    node_id: str | None,
    approver: str,
    lifetime: timedelta,
    minted_by_key_id: str,
    secret_key: str,
) -> MintedLink:
    """A link for `approver` to decide the approval `node_id` of `run_id` waits for (the only
    one waiting when None): 409 when it waits for none, 422 when the approval names its
    approvers and `approver` is not one of them."""
    view = await runs.read(organization_id=organization_id, run_id=run_id)
    if view.status is not RunStatus.RUNNING:
        raise ConflictError(f"run '{run_id}' has already ended")
    waiting = [wait for wait in view.waiting_for if wait.kind == "approval"]
    if node_id is None:
        if len(waiting) != 1:
            raise ConflictError(which_approval([wait.node_id for wait in waiting]))
        node_id = waiting[0].node_id
    wait = next((wait for wait in waiting if wait.node_id == node_id), None)
    if wait is None:
        raise ConflictError(f"node '{node_id}' of run '{run_id}' is not waiting for an approval")
    if wait.approvers and approver not in wait.approvers:
        raise InvalidInputError(
            f"'{approver}' is not among the approvers of approval '{node_id}'",
            [
                ErrorDetail(
                    message=f"approval '{node_id}' takes only: "
                    + ", ".join(f"'{name}'" for name in wait.approvers),
                    path=("body", "approver"),
                    node_id=node_id,
                    code="not_an_approver",
                )
            ],
        )
    # Whole seconds: the token carries them, and the row must say the same.
    expires_at = (datetime.now(UTC) + lifetime).replace(microsecond=0)
    link = await store.create_link(
        session,
        organization_id=organization_id,
        run_id=run_id,
        node_id=node_id,
        approver=approver,
        minted_by_key_id=minted_by_key_id,
        expires_at=expires_at,
    )
    claims = _Claims(link.id, organization_id, run_id, node_id, approver, expires_at)
    return MintedLink(
        id=link.id,
        run_id=run_id,
        node_id=node_id,
        approver=approver,
        expires_at=expires_at,
        token=_token(claims, secret_key=secret_key),
    )


@dataclass(frozen=True)
class UsedLink:
    run_id: str
    node_id: str


async def decide(
    session: AsyncSession,
    runs: RunService,
    *,
    token: str,
    approved: bool,
    comment: str,
    secret_key: str,
) -> UsedLink:
    """Decide as the link's approver: 401 for a token not minted here (or altered), 403 once
    it has expired, 409 once it has been used."""
    claims = _claims_of(token, secret_key=secret_key)
    link = await store.find_link(
        session, organization_id=claims.organization_id, link_id=claims.link_id
    )
    if link is None or (link.run_id, link.node_id, link.approver) != (
        claims.run_id, claims.node_id, claims.approver
    ):  # fmt: skip
        raise AuthenticationError(_INVALID)
    if claims.expires_at <= datetime.now(UTC):
        raise PermissionDeniedError(
            f"this approval link expired at {claims.expires_at.isoformat()}: ask for a new one"
        )
    claimed_at = await store.claim_link(
        session, organization_id=claims.organization_id, link_id=claims.link_id
    )
    if claimed_at is None:
        raise ConflictError("this approval link has been used already")
    try:
        node_id = await runs.decide(
            organization_id=claims.organization_id,
            run_id=claims.run_id,
            node_id=claims.node_id,
            approved=approved,
            comment=comment,
            decider=decider_for_link(
                link_id=link.id, approver=link.approver, minted_by_key_id=link.minted_by_key_id
            ),
        )
    except Exception:
        # Not taken (refused, the run ended, Temporal unreachable): the link is not spent.
        await store.release_link(
            session,
            organization_id=claims.organization_id,
            link_id=claims.link_id,
            claimed_at=claimed_at,
        )
        raise
    return UsedLink(run_id=claims.run_id, node_id=node_id)
