"""How account and token problems reach the workflow: one mapping for every platform."""

from __future__ import annotations

from datetime import timedelta

from temporalio.exceptions import ApplicationError

from activities.accounts.errors import GrantRevokedError, PlatformError, PlatformUnavailableError
from activities.accounts.tokens import AccountUnusableError
from app.contract.actions import ActionInput


def account_failure(error: PlatformError) -> ApplicationError:
    """Unusable or revoked accounts fail for good (a person must reconnect them); a platform
    that could not renew a token now is retried."""
    if isinstance(error, AccountUnusableError):
        return ApplicationError(error.message, type="AccountUnusable", non_retryable=True)
    if isinstance(error, GrantRevokedError):
        return ApplicationError(
            f"{error.message}: connect the account again", type="AccountRevoked",
            non_retryable=True,
        )  # fmt: skip
    if isinstance(error, PlatformUnavailableError):
        delay = timedelta(seconds=error.retry_after) if error.retry_after is not None else None
        return ApplicationError(error.message, type="PlatformUnavailable", next_retry_delay=delay)
    return ApplicationError(error.message, type="PlatformRefused", non_retryable=True)


def required_account(action: ActionInput, platform: str) -> str:
    """The node's account id; a node without one fails for good."""
    if action.account_id is None:
        raise ApplicationError(
            f"'{action.node_type}' needs a connected {platform} account",
            type="AccountUnusable",
            non_retryable=True,
        )
    return action.account_id
