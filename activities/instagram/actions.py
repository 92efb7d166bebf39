"""The Instagram activities: publish and insights. Errors map in `errors`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio import activity

from activities.accounts.failures import required_account
from activities.base import Progress, parse_parameters, platform_call
from activities.instagram import comments
from activities.instagram.comment_nodes import (
    DeleteCommentParameters,
    HideCommentParameters,
    ListCommentsParameters,
    PrivateReplyParameters,
    ReplyCommentParameters,
    SendMessageParameters,
)
from activities.instagram.errors import instagram_failure_of
from activities.instagram.graph import GraphSession
from activities.instagram.nodes import InstagramInsightsParameters, InstagramPublishParameters
from activities.instagram.publish import Publishing
from activities.services import ActionServices
from app.contract.actions import ActionInput

T = TypeVar("T")


def _metric_value(entry: dict[str, Any]) -> float:
    total = entry.get("total_value")
    if isinstance(total, dict) and isinstance(total.get("value"), int | float):
        return float(total["value"])
    values = entry.get("values") or [{}]
    value = values[-1].get("value", 0)
    return float(value) if isinstance(value, int | float) else 0.0


class InstagramActivities:
    """Instagram actions through the Graph API, for the account the node names."""

    def __init__(self, services: ActionServices) -> None:
        self.services = services

    @activity.defn(name="instagram.publish")
    async def publish(self, action: ActionInput) -> dict[str, Any]:
        """Create the container(s), wait until Instagram has processed them, publish."""
        params = parse_parameters(InstagramPublishParameters, action)
        graph = self._graph(action)
        progress = Progress()
        publishing = Publishing(graph, params, progress)
        return await self._mapped(publishing.run, progress)

    @activity.defn(name="instagram.insights")
    async def insights(self, action: ActionInput) -> dict[str, Any]:
        """The requested metrics of one media or of the account."""
        params = parse_parameters(InstagramInsightsParameters, action)
        graph = self._graph(action)

        async def read() -> dict[str, Any]:
            query = {"metric": ",".join(params.metrics)}
            if params.target == "media":
                node = str(params.media_id)
            else:
                node = await graph.ig_user_id()
                query |= {"period": params.period or "day", "metric_type": "total_value"}
            answer = await graph.get(node, query, edge="insights")
            return {"metrics": {str(e["name"]): _metric_value(e) for e in answer.get("data", [])}}

        return await self._mapped(read)

    @activity.defn(name="instagram.list_comments")
    async def list_comments(self, action: ActionInput) -> dict[str, Any]:
        """The top-level comments of one of the account's media."""
        params = parse_parameters(ListCommentsParameters, action)
        graph = self._graph(action)
        return await self._mapped(lambda: comments.list_comments(graph, params))

    @activity.defn(name="instagram.reply_comment")
    async def reply_comment(self, action: ActionInput) -> dict[str, Any]:
        """A public reply under a comment, once per step."""
        params = parse_parameters(ReplyCommentParameters, action)
        graph = self._graph(action)
        progress = Progress()
        return await self._mapped(lambda: comments.reply_comment(graph, params, progress), progress)

    @activity.defn(name="instagram.hide_comment")
    async def hide_comment(self, action: ActionInput) -> dict[str, Any]:
        """Hide a comment, or show it again."""
        params = parse_parameters(HideCommentParameters, action)
        graph = self._graph(action)
        return await self._mapped(lambda: comments.hide_comment(graph, params))

    @activity.defn(name="instagram.delete_comment")
    async def delete_comment(self, action: ActionInput) -> dict[str, Any]:
        """Delete a comment and its replies."""
        params = parse_parameters(DeleteCommentParameters, action)
        graph = self._graph(action)
        progress = Progress()
        return await self._mapped(
            lambda: comments.delete_comment(graph, params, progress), progress
        )

    @activity.defn(name="instagram.private_reply")
    async def private_reply(self, action: ActionInput) -> dict[str, Any]:
        """A direct message to a comment's author, once per comment and step."""
        params = parse_parameters(PrivateReplyParameters, action)
        graph = self._graph(action)
        progress = Progress()
        return await self._mapped(lambda: comments.private_reply(graph, params, progress), progress)

    @activity.defn(name="instagram.send_message")
    async def send_message(self, action: ActionInput) -> dict[str, Any]:
        """A direct message within the messaging window, once per step."""
        params = parse_parameters(SendMessageParameters, action)
        graph = self._graph(action)
        progress = Progress()
        return await self._mapped(lambda: comments.send_message(graph, params, progress), progress)

    def _graph(self, action: ActionInput) -> GraphSession:
        account_id = required_account(action, "Instagram")
        return GraphSession(self.services, action.organization_id, account_id)

    async def _mapped(
        self, body: Callable[[], Awaitable[T]], progress: Progress | None = None
    ) -> T:
        return await platform_call(body, failure=instagram_failure_of, progress=progress)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.publish,
            self.insights,
            self.list_comments,
            self.reply_comment,
            self.hide_comment,
            self.delete_comment,
            self.private_reply,
            self.send_message,
        ]
