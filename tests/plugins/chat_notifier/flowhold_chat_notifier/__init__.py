"""An example Flowhold platform plug-in: `chat.notify` posts a message to a chat webhook
(Slack, Mattermost, Discord and Teams take this shape: a JSON body with the text).

Its entry point (`flowhold.platforms` in pyproject.toml) names `PLATFORM`; Flowhold finds it
in the installed package's metadata and adds `chat.notify` to the catalog, validation and
the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import httpx
from pydantic import Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.base import action_node_type, heartbeating, parse_parameters
from activities.network import PERMIT_PRIVATE, AddressNotAllowedError, GuardedTransport
from activities.platform import Platform
from activities.services import ActionServices
from activities.transports import Borrowed, Pool
from app.contract.actions import ActionInput
from app.language.node_type import Parameters
from app.language.parameter_validators import max_length_unless_templated, url_unless_templated


class ChatNotifyParameters(Parameters):
    """Parameters of `chat.notify`."""

    webhook_url: Annotated[str, url_unless_templated(("http", "https"))] = Field(
        description="The chat's incoming webhook URL.",
        json_schema_extra={"examples": ["https://chat.example.com/hooks/abc"]},
    )
    text: Annotated[str, Field(min_length=1), max_length_unless_templated(4000)] = Field(
        description="The message; may hold templates.",
        json_schema_extra={"examples": ["Run {{ run.id }} published {{ nodes.post.id }}"]},
    )
    channel: str | None = Field(default=None, max_length=100, description="Where to post it.")


CHAT_POOL: Pool[GuardedTransport] = Pool(
    "chat", make=lambda endpoints: GuardedTransport(), close=lambda pool: pool.aclose()
)


class ChatActivities:
    def __init__(self, services: ActionServices) -> None:
        self.services = services

    def all(self) -> list[Callable[..., Any]]:
        return [self.notify]

    @activity.defn(name="chat.notify")
    async def notify(self, action: ActionInput) -> dict[str, Any]:
        params = parse_parameters(ChatNotifyParameters, action)
        body = {"text": params.text, **({"channel": params.channel} if params.channel else {})}
        permitted = self.services.private_networks_allowed
        try:
            async with (
                heartbeating(),
                httpx.AsyncClient(
                    transport=Borrowed(self.services.transports.get(CHAT_POOL)),
                    timeout=30,
                    trust_env=False,
                ) as client,
            ):
                response = await client.post(
                    params.webhook_url,
                    json=body,
                    # The same on every retry: a chat that honours it posts once.
                    headers={"Idempotency-Key": action.idempotency_key},
                    extensions={PERMIT_PRIVATE: lambda: permitted(action.organization_id)},
                )
        except AddressNotAllowedError as error:
            raise ApplicationError(error.message, type="ChatRefused", non_retryable=True) from None
        except httpx.HTTPError as error:
            raise ApplicationError(
                f"could not reach the chat: {type(error).__name__}", type="ChatUnavailable"
            ) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise ApplicationError(
                f"the chat answered {response.status_code}", type="ChatUnavailable"
            )
        if response.status_code >= 400:
            raise ApplicationError(
                f"the chat refused the message ({response.status_code})",
                type="ChatRefused",
                non_retryable=True,
            )
        return {"posted": True, "status": response.status_code}


PLATFORM = Platform(
    name="chat",
    node_types=(
        action_node_type(
            "chat",
            "chat.notify",
            "Notify a chat",
            "Post a message to a chat's incoming webhook.",
            ChatNotifyParameters,
            {
                "type": "object",
                "properties": {"posted": {"type": "boolean"}, "status": {"type": "integer"}},
                "required": ["posted", "status"],
            },
            account_required=False,
        ),
    ),
    activities=ChatActivities,
)
