"""How account and token problems reach the workflow: one mapping for every platform."""

from __future__ import annotations

from datetime import timedelta

from temporalio.exceptions import ApplicationError

from activities.errors import (
    AccountError,
    AccountNotFoundError,
    AccountUnusableError,
    GrantRevokedError,
    PlatformUnavailableError,
    WrongAccountError,
)
from app.contract.actions import ActionInput
from app.contract.failures import FailureType


def account_failure(error: AccountError) -> ApplicationError:
    """Unusable or revoked accounts fail for good (a person must reconnect them); a platform
    that could not renew a token now is retried."""
    if isinstance(error, AccountNotFoundError):
        return FailureType.AccountNotFound.error(error.message)
    if isinstance(error, WrongAccountError):
        return FailureType.WrongAccount.error(error.message)
    if isinstance(error, AccountUnusableError):
        return FailureType.AccountUnusable.error(error.message)
    if isinstance(error, GrantRevokedError):
        return FailureType.AccountRevoked.error(f"{error.message}: connect the account again")
    if isinstance(error, PlatformUnavailableError):
        delay = timedelta(seconds=error.retry_after) if error.retry_after is not None else None
        return FailureType.PlatformUnavailable.error(error.message, next_retry_delay=delay)
    return FailureType.PlatformRefused.error(error.message)


def required_account(action: ActionInput, platform: str) -> str:
    """The node's account id; a node without one fails for good."""
    if action.account_id is None:
        raise FailureType.AccountUnusable.error(
            f"'{action.node_type}' needs a connected {platform} account"
        )
    return action.account_id
