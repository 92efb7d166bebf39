"""What a webhook delivery needs from the database, kept between deliveries.

Every delivery reads one row pair, the webhook and its workflow (one query), and that row
pair holds everything that may change what applies: the workflow's `active` flag and
latest version, the webhook's sealed secret and verify token. What follows from those values
and cannot change while they stay the same (versions are immutable) is kept, keyed by them:
the version's plan, the trigger's parameters, the opened secret. So a deactivation, a new
version, a rotated secret or a deleted workflow applies from the next delivery on, in every
API process, and an unchanged webhook costs one query instead of five and no parsing.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Webhook, Workflow, WorkflowVersion
from app.errors import NotFoundError
from app.language.nodes.triggers import WebhookTriggerParameters
from app.services import sub_workflows
from app.services.runs import RunStart, listened_to, prepare_start
from app.services.webhook_delivery import stored_parameters
from app.store import webhooks as store
from app.store import workflows as workflow_store
from app.vault.webhook_secrets import unseal

NOT_FOUND = "no such webhook, or its workflow is inactive"

_Stamp = tuple[str, int, str, str | None, str | None, str]
"""Workflow id, latest version, node id, sealed secret, verify token hash, workflow name (the
runs' summary): the values what is kept follows from."""


class DeliveryTarget:
    """A webhook with its workflow's latest version, as its deliveries use them."""

    def __init__(
        self,
        webhook: Webhook,
        version: WorkflowVersion,
        parameters: WebhookTriggerParameters,
        *,
        calls_pinned_versions: bool,
        vault_keys: str,
        workflow_name: str | None = None,
    ) -> None:
        self.webhook_id = webhook.id
        self.node_id = webhook.node_id
        self.organization_id = version.organization_id
        self.verify_token_hash = webhook.verify_token_hash
        self.version = version
        self.parameters = parameters
        self._secret_sealed = webhook.secret_sealed
        self._vault_keys = vault_keys
        self._calls_pinned_versions = calls_pinned_versions
        self._workflow_name = workflow_name

    @functools.cached_property
    def secret(self) -> str | None:
        """The opened secret; opened at the first delivery that needs it (a failure to open
        is raised again each time, not kept)."""
        if self._secret_sealed is None:
            return None
        return unseal(self._secret_sealed, bound_to=self.webhook_id, vault_keys=self._vault_keys)

    async def run_start(self, session: AsyncSession, payload: Any) -> RunStart:
        """A run of the version from this trigger. Pinned sub-workflow versions are looked up
        at every delivery: their workflows may be deleted meanwhile."""
        if self._calls_pinned_versions:
            return await prepare_start(
                session, self.version, trigger="webhook", payload=payload, trigger_node=self.node_id
            )
        return RunStart.of(
            self.version,
            trigger="webhook",
            payload=payload,
            carried={},
            trigger_node=self.node_id,
            workflow_name=self._workflow_name,
            run_events=await listened_to(session, self.version),
        )


class DeliveryTargets:
    """The targets of an API process's recent deliveries, at most `capacity`, least recently
    used first out."""

    def __init__(self, *, vault_keys: str, capacity: int = 1000) -> None:
        self._vault_keys = vault_keys
        self._capacity = capacity
        self._kept: OrderedDict[str, tuple[_Stamp, DeliveryTarget]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    async def find(self, session: AsyncSession, webhook_id: str) -> DeliveryTarget:
        """The target of a delivery to `webhook_id`, as its rows say now; 404 when there is
        no such webhook or its workflow is inactive."""
        row = await store.find_delivery_target(session, webhook_id=webhook_id)
        if row is None or not row[1].active:
            self._kept.pop(webhook_id, None)
            raise NotFoundError(NOT_FOUND)
        webhook, workflow = row
        stamp: _Stamp = (
            workflow.id,
            workflow.latest_version,
            webhook.node_id,
            webhook.secret_sealed,
            webhook.verify_token_hash,
            workflow.name,
        )
        kept = self._kept.get(webhook_id)
        if kept is not None and kept[0] == stamp:
            self._kept.move_to_end(webhook_id)
            return kept[1]
        target = await self._load(session, webhook, workflow)
        self._kept[webhook_id] = (stamp, target)
        self._kept.move_to_end(webhook_id)
        while len(self._kept) > self._capacity:
            self._kept.popitem(last=False)
        return target

    async def _load(
        self, session: AsyncSession, webhook: Webhook, workflow: Workflow
    ) -> DeliveryTarget:
        version = await workflow_store.get_version(
            session,
            organization_id=workflow.organization_id,
            workflow_id=workflow.id,
            version=workflow.latest_version,
        )
        node = version.plan.nodes.get(webhook.node_id)
        if node is None or node.type != store.WEBHOOK_TRIGGER:
            raise NotFoundError(NOT_FOUND)
        parameters = stored_parameters(version.plan, webhook.node_id)
        carried = await sub_workflows.plans_for(session, version)
        # Kept beyond this session: only its loaded attributes are read from now on.
        session.expunge(version)
        return DeliveryTarget(
            webhook,
            version,
            parameters,
            calls_pinned_versions=bool(carried),
            vault_keys=self._vault_keys,
            workflow_name=workflow.name,
        )
