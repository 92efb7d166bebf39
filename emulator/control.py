"""What tests and scripts do to the emulator, besides calling the platforms: add users and
tokens, expire or revoke tokens, set rate-limit windows and metrics. The Python handle
(`testing.py`) and the HTTP control API (`control_api.py`) both call these functions."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.config import CREATE_POST, X_ENDPOINTS
from emulator.instagram_state import OUTCOMES
from emulator.state import EmulatorState
from emulator.x_state import DEFAULT_SCOPES, PUBLIC_METRICS, XUser


class ControlError(ValueError):
    """A control request that cannot be done: something unknown (404) or taken (409)."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class XAccount:
    """An X user and a token pair for it."""

    user_id: str
    username: str
    access_token: str
    refresh_token: str | None
    expires_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "username": self.username,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat(),
        }


@dataclass(frozen=True)
class InstagramAccount:
    """An Instagram professional account and a long-lived token for it."""

    ig_user_id: str
    username: str
    access_token: str
    expires_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "ig_user_id": self.ig_user_id,
            "username": self.username,
            "access_token": self.access_token,
            "expires_at": self.expires_at.isoformat(),
        }


def add_x_user(
    state: EmulatorState,
    username: str,
    *,
    name: str | None = None,
    user_id: str | None = None,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    access_token: str | None = None,
    refresh_token: str | None = None,
) -> XAccount:
    try:
        user = state.x.add_user(username, name=name, user_id=user_id)
    except ValueError as error:
        raise ControlError(str(error), 409) from None
    return issue_x_tokens(
        state, user.id, scopes=scopes, access_token=access_token, refresh_token=refresh_token
    )


def issue_x_tokens(
    state: EmulatorState,
    user: str,
    *,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    access_token: str | None = None,
    refresh_token: str | None = None,
) -> XAccount:
    """A new token pair for an existing user (by id or username), as a bot account's
    pasted-in tokens would be."""
    found = _x_user(state, user)
    try:
        pair = state.x.issue(
            found.id,
            None,
            frozenset(scopes),
            access_token=access_token,
            refresh_token=refresh_token,
        )
    except ValueError as error:
        raise ControlError(str(error), 409) from None
    return XAccount(
        found.id, found.username, pair.access_token, pair.refresh_token, pair.expires_at
    )


def _x_user(state: EmulatorState, user: str) -> XUser:
    found = state.x.find_user(user)
    if found is None:
        raise ControlError(f"no X user {user!r}")
    return found


def add_x_media(state: EmulatorState, user: str) -> str:
    """Register an uploaded media id that `user` may attach to posts."""
    return state.x.add_media(_x_user(state, user).id)


def expire_token(state: EmulatorState, token: str) -> None:
    """Make an X access token or an Instagram token expire now."""
    if state.x.expire(token):
        return
    ig_token = state.instagram.tokens.get(token)
    if ig_token is None:
        raise ControlError("the emulator never issued that token")
    ig_token.expires_at = min(ig_token.expires_at, state.clock.now())


def revoke_token(state: EmulatorState, token: str) -> None:
    """Revoke an X access or refresh token, or an Instagram token, as a user would."""
    if state.x.revoke(token):
        return
    ig_token = state.instagram.tokens.get(token)
    if ig_token is None:
        raise ControlError("the emulator never issued that token")
    ig_token.revoked = True


def set_x_rate_limit(
    state: EmulatorState,
    user: str,
    endpoint: str,
    *,
    remaining: int,
    reset_at: datetime,
    daily: bool = False,
) -> None:
    """Force a window: `daily` sets the 24-hour post cap instead of `endpoint`'s 15 minutes."""
    found = _x_user(state, user)
    if endpoint not in X_ENDPOINTS:
        raise ControlError(f"endpoint must be one of {', '.join(X_ENDPOINTS)}", 422)
    if daily and endpoint != CREATE_POST:
        raise ControlError(f"only {CREATE_POST} has a 24-hour cap", 422)
    tier = state.x_limits.tier
    if daily:
        state.x_limits.windows.set((found.id, "24h"), tier.posts_per_24_hours, remaining, reset_at)
    else:
        limit = tier.requests_per_window[endpoint]
        state.x_limits.windows.set((found.id, endpoint), limit, remaining, reset_at)


def set_post_metrics(state: EmulatorState, post_id: str, metrics: dict[str, int]) -> None:
    post = state.x.posts.get(post_id)
    if post is None:
        raise ControlError(f"no X post {post_id}")
    unknown = sorted(set(metrics) - set(PUBLIC_METRICS))
    if unknown:
        raise ControlError(
            f"unknown metric {unknown[0]!r}; known: {', '.join(PUBLIC_METRICS)}", 422
        )
    post.metrics.update(metrics)


def add_instagram_user(
    state: EmulatorState,
    username: str,
    *,
    ig_user_id: str | None = None,
    access_token: str | None = None,
) -> InstagramAccount:
    try:
        user = state.instagram.add_user(username, ig_user_id)
        token = state.instagram.issue_token(user.id, access_token)
    except ValueError as error:
        raise ControlError(str(error), 409) from None
    return InstagramAccount(user.id, user.username, token.value, token.expires_at)


def queue_container_outcomes(state: EmulatorState, ig_user_id: str, outcomes: list[str]) -> None:
    """How the account's next containers end (FINISHED, ERROR or EXPIRED), in order."""
    if ig_user_id not in state.instagram.users:
        raise ControlError(f"no Instagram account {ig_user_id}")
    wrong = [outcome for outcome in outcomes if outcome not in OUTCOMES]
    if wrong:
        raise ControlError(f"outcome must be one of {', '.join(OUTCOMES)}, not {wrong[0]!r}", 422)
    state.instagram.next_outcomes.setdefault(ig_user_id, deque()).extend(outcomes)


def set_container_status(state: EmulatorState, container_id: str, status: str) -> None:
    """End a container's processing now: FINISHED, ERROR or EXPIRED."""
    container = state.instagram.containers.get(container_id)
    if container is None:
        raise ControlError(f"no Instagram container {container_id}")
    if status not in OUTCOMES:
        raise ControlError(f"status must be one of {', '.join(OUTCOMES)}, not {status!r}", 422)
    container.polls_left = 0
    container.outcome = status


def set_insights(state: EmulatorState, node_id: str, metrics: dict[str, int]) -> None:
    """Fix metric values of a published media or of an account."""
    instagram = state.instagram
    if node_id in instagram.media:
        instagram.media[node_id].insights.update(metrics)
    elif node_id in instagram.users:
        instagram.account_insights[node_id].update(metrics)
    else:
        raise ControlError(f"no Instagram media or account {node_id}")


def set_instagram_usage(
    state: EmulatorState, ig_user_id: str, *, remaining: int, reset_at: datetime
) -> None:
    """Force the account's hourly call budget, e.g. used up until `reset_at`."""
    if ig_user_id not in state.instagram.users:
        raise ControlError(f"no Instagram account {ig_user_id}")
    usage = state.meta_usage
    usage.windows.set((ig_user_id, "calls"), usage.calls_per_hour, remaining, reset_at)
