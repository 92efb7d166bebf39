"""Who decides an approval, as the API established it, never as the caller says.

- A key bound to a person decides as that person (`verified`); a `by` naming someone else
  is refused (403).
- A key bound to no one must say `by`: it is recorded as said, `verified: false`, with the
  key's id, and an approval that names its approvers refuses it (`workflows.waits`).
- An approval link decides as the approver it was minted for (`verified`), with the link's
  id and the id of the key that minted it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.errors import ErrorDetail, InvalidInputError, PermissionDeniedError


@dataclass(frozen=True)
class Decider:
    """Who decides and how, recorded in the approval node's output."""

    by: str
    """The person: the key's, the link's approver, or what a key of no one said."""
    verified: bool
    """Whether the API established `by` (a key bound to that person, or their link)."""
    via: Literal["key", "link"]
    key_id: str
    """The key that decided, or that minted the link."""
    link_id: str | None = None


def decider_for_key(*, key_id: str, person: str | None, claimed_by: str | None) -> Decider:
    """Who decides with the key `key_id` bound to `person`, when the body says `claimed_by`."""
    if person is not None:
        if claimed_by is not None and claimed_by != person:
            raise PermissionDeniedError(
                f"this API key belongs to '{person}': it decides as '{person}', not as "
                f"'{claimed_by}' (leave `by` out)"
            )
        return Decider(by=person, verified=True, via="key", key_id=key_id)
    if claimed_by is None:
        raise InvalidInputError(
            "say who decides",
            [
                ErrorDetail(
                    message="`by` is required: this API key is bound to no person (it is "
                    "recorded as said, unverified, with the key's id)",
                    path=("body", "by"),
                    code="missing",
                )
            ],
        )
    return Decider(by=claimed_by, verified=False, via="key", key_id=key_id)


def decider_for_link(*, link_id: str, approver: str, minted_by_key_id: str) -> Decider:
    return Decider(by=approver, verified=True, via="link", key_id=minted_by_key_id, link_id=link_id)
