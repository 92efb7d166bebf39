"""The tables. Every row belongs to one organization (docs/architecture.md, invariant 6), but
the operator's keys, which stand above them.

Only these table classes hold stored secrets (hashes, ciphertexts); the API returns
the `*Public` models of `app.api.schemas`, never these.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db.types import JSONColumn, ModelJSON, UTCDateTime, utcnow
from app.language.plan import Plan


def new_id(prefix: str) -> str:
    """A random, URL-safe id that says what it names (`wf_…`, `org_…`)."""
    return f"{prefix}_{secrets.token_hex(12)}"


def _created_at() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _org_fk() -> Any:
    return Field(
        sa_column=Column(
            String(40), ForeignKey("organization.id", ondelete="CASCADE"), nullable=False
        )
    )


class Organization(SQLModel, table=True):
    id: str = Field(default_factory=lambda: new_id("org"), primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    created_at: datetime = _created_at()
    allow_private_networks: bool = False
    """Let `http.request` reach private, loopback and link-local addresses (off: only public)."""
    runs_per_hour: int | None = None
    """At most this many runs started per clock hour (UTC), counted in `RunStartCount`;
    None: no limit (`app.services.quotas`)."""
    max_concurrent_runs: int | None = None
    """At most this many top-level runs running at once, counted in Temporal's visibility;
    None: no limit."""
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """Deleted by the operator (`DELETE /operator/organizations/{id}`): its keys are revoked
    and it is listed nowhere; its rows stay until the operator purges the database."""


class OperatorKey(SQLModel, table=True):
    """A key of the installation's operator, who creates, lists and deletes organizations.
    The one table whose rows belong to no organization: it stands above them."""

    __tablename__ = "operator_key"

    id: str = Field(default_factory=lambda: new_id("opk"), primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    """HMAC-SHA256 of the whole key under SECRET_KEY; the key itself is never stored."""
    created_at: datetime = _created_at()
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"
    __table_args__ = (Index("ix_api_key_organization_id", "organization_id"),)

    id: str = Field(default_factory=lambda: new_id("key"), primary_key=True, max_length=40)
    organization_id: str = _org_fk()
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=16)
    """The first characters of the key, shown so a person can tell keys apart."""
    key_hash: str = Field(max_length=64, unique=True)
    """HMAC-SHA256 of the whole key under SECRET_KEY; the key itself is never stored."""
    scope: str = Field(default="write", max_length=10)
    """`read`, `write` or `admin` (`app.store.api_keys.Scope`)."""
    created_at: datetime = _created_at()
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """After this the key authenticates nothing; None: it never expires."""
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    person: str | None = Field(default=None, max_length=320)
    """Whom the key belongs to (an e-mail or a name), set by an admin key when it is made:
    decisions made with it are that person's. None: a key of no one in particular."""


class Workflow(SQLModel, table=True):
    __table_args__ = (Index("ix_workflow_organization_id_name", "organization_id", "name"),)

    id: str = Field(default_factory=lambda: new_id("wf"), primary_key=True, max_length=40)
    organization_id: str = _org_fk()
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    active: bool = False
    latest_version: int = 1
    error_workflow_id: str | None = Field(default=None, max_length=40)
    """Started with a failed run's details whenever one of this workflow's runs fails (no
    foreign key: a deleted error workflow is simply not started, `app.services.error_workflows`)."""
    created_at: datetime = _created_at()
    updated_at: datetime = _created_at()


class WorkflowVersion(SQLModel, table=True):
    """One immutable version of a workflow: the graph as sent and the plan compiled from it."""

    __tablename__ = "workflow_version"
    __table_args__ = (UniqueConstraint("workflow_id", "version"),)

    id: str = Field(default_factory=lambda: new_id("wfv"), primary_key=True, max_length=40)
    workflow_id: str = Field(
        sa_column=Column(
            String(40), ForeignKey("workflow.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    organization_id: str = _org_fk()
    version: int
    graph: dict[str, Any] = Field(sa_column=Column(JSONColumn, nullable=False))
    plan: Plan = Field(sa_column=Column(ModelJSON(Plan), nullable=False))
    """Read back as a `Plan`: nobody validates a stored plan by hand."""
    plan_hash: str = Field(max_length=80)
    created_at: datetime = _created_at()


class Account(SQLModel, table=True):
    """A connected platform account. Its secrets live in the vault, never in this row's API view."""

    __table_args__ = (Index("ix_account_organization_id", "organization_id"),)

    id: str = Field(default_factory=lambda: new_id("acc"), primary_key=True, max_length=40)
    organization_id: str = _org_fk()
    platform: str = Field(max_length=40)
    """`x`, `instagram`, `http` or `ai`."""
    display_name: str = Field(max_length=200)
    status: str = Field(default="active", max_length=20)
    """`active`, `expired` or `revoked`."""
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSONColumn, nullable=False))
    created_at: datetime = _created_at()
    updated_at: datetime = _created_at()
    external_id: str | None = Field(default=None, max_length=64)
    """The platform's id of the account (X user id, Instagram user id), when it has one."""
    actions_per_window: int | None = None
    """Pacing: at most this many actions with this account per `action_window_seconds`;
    more wait for a free slot (`activities.pacing`). None: no pacing."""
    action_window_seconds: int | None = None


class Credential(SQLModel, table=True):
    """An account's secret, sealed by `app.vault`: one row per account.

    `version` grows with every change, so writers compare-and-swap instead of overwriting
    each other (rotating refresh tokens must never be lost to a concurrent write).
    """

    account_id: str = Field(
        sa_column=Column(String(40), ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    )
    organization_id: str = _org_fk()
    kind: str = Field(max_length=20)
    """`oauth2`, `token`, `bearer`, `basic`, `header` or `query`."""
    key_id: str = Field(max_length=32)
    """The vault key that sealed `ciphertext`."""
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the access token stops working, if it does."""
    refreshing_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """A worker holds the refresh lease until then; others wait for its result."""
    version: int = 1
    updated_at: datetime = _created_at()


class OAuthAuthorization(SQLModel, table=True):
    """An authorization in progress: the PKCE verifier waits here for the callback's code."""

    __tablename__ = "oauth_authorization"
    __table_args__ = (Index("ix_oauth_authorization_organization_id", "organization_id"),)

    state_hash: str = Field(primary_key=True, max_length=64)
    """SHA-256 of the `state` parameter; the state itself is not stored."""
    organization_id: str = _org_fk()
    platform: str = Field(max_length=40)
    redirect_uri: str = Field(max_length=2000)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSONColumn, nullable=False))
    key_id: str = Field(max_length=32)
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    """The sealed PKCE code verifier."""
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = _created_at()


class Webhook(SQLModel, table=True):
    """The endpoint of one `trigger.webhook` node, stable across the workflow's versions.

    `id` is the unguessable part of the public URL. The secret is stored sealed
    (`app.vault.webhook_secrets`) and the Meta verify token only as a keyed hash.
    """

    __table_args__ = (
        UniqueConstraint("workflow_id", "node_id"),
        Index("ix_webhook_organization_id", "organization_id"),
    )

    id: str = Field(
        default_factory=lambda: f"wh_{secrets.token_urlsafe(24)}", primary_key=True, max_length=64
    )
    organization_id: str = _org_fk()
    workflow_id: str = Field(
        sa_column=Column(
            String(40), ForeignKey("workflow.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    node_id: str = Field(max_length=100)
    secret_sealed: str | None = Field(default=None, max_length=500)
    verify_token_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = _created_at()
    updated_at: datetime = _created_at()


class PollCursor(SQLModel, table=True):
    """What one `trigger.poll` node has seen of its source, stable across the workflow's
    versions and (de)activations: the ids of the items it started runs for (or found there
    on its first poll), newest last, at most `app.services.polling.SEEN_IDS` of them."""

    __tablename__ = "poll_cursor"
    __table_args__ = (UniqueConstraint("workflow_id", "node_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: str = _org_fk()
    workflow_id: str = Field(
        sa_column=Column(
            String(40), ForeignKey("workflow.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    node_id: str = Field(max_length=100)
    seen: list[str] = Field(sa_type=JSONColumn, nullable=False)
    polls: int = 0
    """Polls that moved the cursor."""
    runs_started: int = 0
    created_at: datetime = _created_at()
    updated_at: datetime = _created_at()


class WebhookReceipt(SQLModel, table=True):
    """A body a webhook received and the run it started: the same body within the trigger's
    replay window starts nothing new, whatever delivery id it comes with. One row per body;
    a body seen again after the window takes the row over. `digest` is a keyed hash
    (`app.services.webhook_signatures.body_identity`): the row reveals nothing of the body.
    """

    __tablename__ = "webhook_receipt"
    __table_args__ = (Index("ix_webhook_receipt_received", "webhook_id", "received_at"),)

    webhook_id: str = Field(
        sa_column=Column(String(64), ForeignKey("webhook.id", ondelete="CASCADE"), primary_key=True)
    )
    digest: str = Field(primary_key=True, max_length=64)
    organization_id: str = _org_fk()
    run_id: str = Field(max_length=200)
    received_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class WebhookDedupKey(SQLModel, table=True):
    """The value a webhook trigger's `dedup_key` gave a delivery and the run it started: a
    delivery whose key has a row not yet expired starts nothing new, however its envelope
    differs (Meta re-sends one comment under another `entry.time`). Its own table, not a
    receipt: each row keeps its own expiry, so sweeping receipts by the body's window never
    drops a key that must hold longer. `key_digest` is a hash: the row reveals nothing of
    the value."""

    __tablename__ = "webhook_dedup_key"
    __table_args__ = (Index("ix_webhook_dedup_key_expires", "webhook_id", "expires_at"),)

    webhook_id: str = Field(
        sa_column=Column(String(64), ForeignKey("webhook.id", ondelete="CASCADE"), primary_key=True)
    )
    key_digest: str = Field(primary_key=True, max_length=64)
    organization_id: str = _org_fk()
    run_id: str = Field(max_length=200)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ApprovalLink(SQLModel, table=True):
    """A signed approval link minted for one approver of one waiting approval
    (`app.services.approval_links`). The token itself is never stored: its MAC proves it was
    minted here, and this row makes it single-use (`used_at`)."""

    __tablename__ = "approval_link"
    __table_args__ = (Index("ix_approval_link_run", "organization_id", "run_id"),)

    id: str = Field(default_factory=lambda: new_id("apl"), primary_key=True, max_length=40)
    organization_id: str = _org_fk()
    run_id: str = Field(max_length=200)
    node_id: str = Field(max_length=200)
    approver: str = Field(max_length=320)
    minted_by_key_id: str = Field(max_length=40)
    """The API key that minted it: a link is worth what the key that made it is worth."""
    created_at: datetime = _created_at()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BulkOperation(SQLModel, table=True):
    """One cancel, terminate or rerun of every run a filter matched, as it was asked: by
    which key (and its person), when, with what filter, on how many runs
    (`app.services.runs.bulk`)."""

    __tablename__ = "bulk_operation"
    __table_args__ = (Index("ix_bulk_operation_created", "organization_id", "created_at"),)

    id: str = Field(default_factory=lambda: new_id("bulk"), primary_key=True, max_length=40)
    organization_id: str = _org_fk()
    action: str = Field(max_length=20)
    filter: dict[str, Any] = Field(sa_type=JSONColumn, nullable=False)
    """The run list's filters it matched runs with, as asked (None: any)."""
    options: dict[str, Any] = Field(sa_type=JSONColumn, nullable=False)
    """What the action was asked to do besides: a termination's reason, a rerun's `from` and
    `version`, the most runs it could act on."""
    matched: int
    run_ids: list[str] = Field(sa_type=JSONColumn, nullable=False)
    """The runs it acted on."""
    outcomes: dict[str, Any] = Field(sa_type=JSONColumn, nullable=False)
    """For a rerun: the run each one started, or why it could not, by run id."""
    batch_job_id: str | None = Field(default=None, max_length=100)
    """Temporal's batch operation that cancels or terminates the runs."""
    key_id: str = Field(max_length=40)
    person: str | None = Field(default=None, max_length=320)
    created_at: datetime = _created_at()


class RunStartCount(SQLModel, table=True):
    """How many runs an organization started in one clock hour (UTC): raised by one atomic
    `UPDATE ... WHERE count < limit` per start, so every API process shares the count
    (`app.store.quotas`). Rows of past hours are deleted as new hours begin."""

    __tablename__ = "run_start_count"

    organization_id: str = Field(
        sa_column=Column(
            String(40), ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
        )
    )
    hour: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    count: int = 0


class AccountActionSlot(SQLModel, table=True):
    """One action's place in its account's pacing window: taken once per action (`key`: the
    run and the action's idempotency key, so a retried attempt finds its own slot), at
    `slot_at` on Temporal's clock (`activities.pacing`). Slots older than the window go."""

    __tablename__ = "account_action_slot"
    __table_args__ = (Index("ix_account_action_slot_at", "account_id", "slot_at"),)

    account_id: str = Field(
        sa_column=Column(String(40), ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    )
    key: str = Field(primary_key=True, max_length=300)
    slot_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class EventSubscription(SQLModel, table=True):
    """A URL an organization subscribed to run events (`app.contract.run_events`). Its
    signing secret is sealed (`app.vault.webhook_secrets`, bound to this row's id)."""

    __tablename__ = "event_subscription"
    __table_args__ = (Index("ix_event_subscription_organization_id", "organization_id"),)

    id: str = Field(default_factory=lambda: new_id("evs"), primary_key=True, max_length=40)
    organization_id: str = _org_fk()
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(sa_type=JSONColumn, nullable=False)
    workflow_ids: list[str] | None = Field(default=None, sa_type=JSONColumn, nullable=True)
    """Only runs of these workflows; None: runs of any workflow."""
    enabled: bool = True
    description: str = Field(default="", max_length=500)
    secret_sealed: str = Field(max_length=500)
    created_at: datetime = _created_at()
    updated_at: datetime = _created_at()


class EventDeliveryAttempt(SQLModel, table=True):
    """One attempt to deliver one run event to one subscription, as it went."""

    __tablename__ = "event_delivery_attempt"
    __table_args__ = (
        Index("ix_event_delivery_attempt_subscription", "subscription_id", "attempted_at"),
    )

    id: str = Field(default_factory=lambda: new_id("eva"), primary_key=True, max_length=40)
    organization_id: str = _org_fk()
    subscription_id: str = Field(
        sa_column=Column(
            String(40), ForeignKey("event_subscription.id", ondelete="CASCADE"), nullable=False
        )
    )
    event_id: str = Field(max_length=40)
    event_type: str = Field(max_length=40)
    run_id: str = Field(max_length=200)
    attempt: int
    outcome: str = Field(max_length=20)
    """`delivered`, `failed` (another attempt follows) or `gave_up` (the last failed)."""
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int
    attempted_at: datetime = _created_at()


class ScheduledRunAdmission(SQLModel, table=True):
    """An execution of a run fired by a schedule that the run quotas let through, and the
    hour it was counted in: written in the transaction that counts it, so a retried admission
    counts it once (`app.store.quotas.admit_scheduled_run`). Deleted as later hours begin."""

    __tablename__ = "scheduled_run_admission"

    execution_id: str = Field(sa_column=Column(String(200), primary_key=True))
    """Temporal's run id of the execution, which no retry changes."""
    organization_id: str = Field(
        sa_column=Column(
            String(40), ForeignKey("organization.id", ondelete="CASCADE"), nullable=False
        )
    )
    hour: datetime = Field(sa_type=UTCDateTime)
