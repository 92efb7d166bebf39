"""Instagram insights: `GET /{ig-media-id}/insights` (lifetime metrics of one media) and
`GET /{ig-user-id}/insights` (the account's metrics by day, week or 28 days).

Values are those set through the control API, else stable made-up numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from emulator.graph_access import GraphCall, graph_call
from emulator.instagram import GRAPH
from emulator.instagram_state import FEED, REELS, STORY, Media, metric_value
from emulator.meta_errors import invalid_parameter, unknown_object
from emulator.params import number

router = APIRouter()

MEDIA_METRICS = frozenset(
    {
        "comments",
        "follows",
        "ig_reels_avg_watch_time",
        "ig_reels_video_view_total_time",
        "impressions",
        "likes",
        "navigation",
        "plays",
        "profile_activity",
        "profile_visits",
        "reach",
        "replies",
        "saved",
        "shares",
        "total_interactions",
        "views",
    }
)
ONLY_FOR = {
    "navigation": {STORY},
    "replies": {STORY},
    "ig_reels_avg_watch_time": {REELS},
    "ig_reels_video_view_total_time": {REELS},
    "plays": {REELS},
    "follows": {FEED, STORY},
    "profile_activity": {FEED, STORY},
    "profile_visits": {FEED, STORY},
}
"""Media metrics that only some media product types have."""

ACCOUNT_METRICS = frozenset(
    {
        "accounts_engaged",
        "comments",
        "email_contacts",
        "follower_count",
        "get_directions_clicks",
        "impressions",
        "likes",
        "phone_call_clicks",
        "profile_views",
        "reach",
        "replies",
        "saves",
        "shares",
        "text_message_clicks",
        "total_interactions",
        "views",
        "website_clicks",
    }
)
TIME_SERIES_METRICS = frozenset({"follower_count", "impressions", "reach"})
"""Account metrics that come as values per period; the others only as `total_value`."""
PERIODS = ("day", "week", "days_28")
MAX_RANGE = timedelta(days=30)
MAX_TIMESTAMP = 253402300799
"""9999-12-31T23:59:59Z, the last moment a datetime can hold."""


def _metrics(call: GraphCall, allowed: frozenset[str]) -> list[str]:
    names = [name.strip() for name in call.required("metric").split(",")]
    for index, name in enumerate(names):
        if name not in allowed:
            raise invalid_parameter(
                f"metric[{index}] must be one of the following values: {', '.join(sorted(allowed))}"
            )
    return names


def _entry(node_id: str, name: str, period: str, **value: Any) -> dict[str, Any]:
    title = name.replace("_", " ").capitalize()
    return {
        "name": name,
        "period": period,
        "title": title,
        "description": f"{title} ({period}).",
        "id": f"{node_id}/insights/{name}/{period}",
        **value,
    }


@router.get(GRAPH + "/{node_id}/insights")
async def insights(node_id: str, request: Request) -> Response:
    call = await graph_call(request)
    node_id = call.node(node_id)
    if node_id == call.user.id:
        return call.answer({"data": _account_insights(call)})
    media = call.state.instagram.media.get(node_id)
    if media is None or media.owner_id != call.user.id:
        raise unknown_object(node_id)
    return call.answer({"data": _media_insights(call, media)})


def _media_insights(call: GraphCall, media: Media) -> list[dict[str, Any]]:
    if call.params.get("period", "lifetime") != "lifetime":
        raise invalid_parameter("Media insights have period lifetime only")
    entries = []
    for name in _metrics(call, MEDIA_METRICS):
        if media.product_type not in ONLY_FOR.get(name, {media.product_type}):
            raise invalid_parameter(
                f"The Media Insights API does not support the {name} metric for this media "
                f"product type ({media.product_type})."
            )
        value = metric_value(media.id, name, media.insights)
        entries.append(_entry(media.id, name, "lifetime", values=[{"value": value}]))
    return entries


def _account_insights(call: GraphCall) -> list[dict[str, Any]]:
    period = call.required("period")
    if period not in PERIODS:
        raise invalid_parameter(f"period must be one of the following values: {', '.join(PERIODS)}")
    metric_type = call.params.get("metric_type", "time_series")
    if metric_type not in ("time_series", "total_value"):
        raise invalid_parameter(
            "metric_type must be one of the following values: time_series, total_value"
        )
    names = _metrics(call, ACCOUNT_METRICS)
    totals_only = [name for name in names if name not in TIME_SERIES_METRICS]
    if metric_type == "time_series" and totals_only:
        raise invalid_parameter(
            f"The following metrics ({', '.join(totals_only)}) should be specified with "
            "parameter metric_type=total_value"
        )
    since, until = _range(call)
    user_id = call.user.id
    overrides = call.state.instagram.account_insights[user_id]
    entries = []
    for name in names:
        if metric_type == "total_value":
            total = {"value": metric_value(user_id, name, overrides, when=period)}
            entries.append(_entry(user_id, name, period, total_value=total))
            continue
        days = []
        end = since + timedelta(days=1)
        while end <= until:
            value = metric_value(user_id, name, overrides, when=f"{period}:{end:%Y-%m-%d}")
            days.append({"value": value, "end_time": end.strftime("%Y-%m-%dT%H:%M:%S+0000")})
            end += timedelta(days=1)
        entries.append(_entry(user_id, name, period, values=days))
    return entries


def _range(call: GraphCall) -> tuple[datetime, datetime]:
    """`since` and `until` (Unix seconds) as whole UTC days; the last two days by default."""
    today = call.state.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    until = _day(call, "until") or today
    since = _day(call, "since") or until - timedelta(days=2)
    if since >= until:
        raise invalid_parameter("since must be before until")
    if until - since > MAX_RANGE:
        raise invalid_parameter("There cannot be more than 30 days between since and until")
    return since, until


def _day(call: GraphCall, name: str) -> datetime | None:
    raw = call.params.get(name)
    if raw is None:
        return None
    seconds = number(raw)
    if seconds is None or seconds > MAX_TIMESTAMP:
        raise invalid_parameter(f"Param {name} must be a Unix timestamp")
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)
