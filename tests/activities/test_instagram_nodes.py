"""Parameters of the Instagram node types: which combinations each kind of publication takes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from activities.instagram.nodes import (
    NODE_TYPES,
    InstagramInsightsParameters,
    InstagramPublishParameters,
)
from tests.utils.parameters import locs

IMAGE = "https://cdn.example.com/photo.jpg"
VIDEO = "https://cdn.example.com/clip.mp4"
MEDIA_ID = "17895695668004550"


def publish_locs(**data: Any) -> list[tuple[str | int, ...]]:
    return locs(InstagramPublishParameters, data)


def test_every_instagram_node_is_an_action_on_an_instagram_account() -> None:
    assert {node.type for node in NODE_TYPES} == {"instagram.publish", "instagram.insights"}
    for node in NODE_TYPES:
        assert (node.kind, node.category, node.account) == ("action", "instagram", "instagram")
        assert node.account_required


# instagram.publish: image


def test_image_minimal_is_an_image_url() -> None:
    params = InstagramPublishParameters.model_validate({"kind": "image", "image_url": IMAGE})
    assert params.poll_interval == timedelta(seconds=5)
    assert params.max_wait == timedelta(minutes=10)


def test_image_full() -> None:
    params = InstagramPublishParameters.model_validate(
        {
            "kind": "image",
            "image_url": IMAGE,
            "caption": "Hello #one #two",
            "poll_interval": "PT2S",
            "max_wait": 120,
        }
    )
    assert params.max_wait == timedelta(minutes=2)


def test_image_needs_an_image_url() -> None:
    assert publish_locs(kind="image") == [("image_url",)]


def test_image_refuses_a_video_url() -> None:
    assert publish_locs(kind="image", image_url=IMAGE, video_url=VIDEO) == [("video_url",)]


def test_image_refuses_carousel_items() -> None:
    items = [{"image_url": IMAGE}, {"image_url": IMAGE}]
    assert publish_locs(kind="image", image_url=IMAGE, items=items) == [("items",)]


def test_image_refuses_a_cover() -> None:
    assert publish_locs(kind="image", image_url=IMAGE, cover_url=IMAGE) == [("cover_url",)]


@pytest.mark.parametrize("url", ["http://cdn.example.com/a.jpg", "ftp://x/a.jpg", "photo.jpg"])
def test_media_urls_must_be_https(url: str) -> None:
    assert publish_locs(kind="image", image_url=url) == [("image_url",)]


def test_media_urls_may_be_templates() -> None:
    InstagramPublishParameters.model_validate({"kind": "image", "image_url": "{{ vars.image }}"})


# instagram.publish: caption


def test_caption_longer_than_2200_characters_is_refused() -> None:
    assert publish_locs(kind="image", image_url=IMAGE, caption="x" * 2201) == [("caption",)]


def test_caption_with_more_than_30_hashtags_is_refused() -> None:
    caption = " ".join(f"#tag{index}" for index in range(31))
    assert publish_locs(kind="image", image_url=IMAGE, caption=caption) == [("caption",)]


def test_templated_caption_is_not_checked_before_the_run() -> None:
    caption = "{{ trigger.caption }} " + " ".join(f"#tag{index}" for index in range(40)) * 20
    InstagramPublishParameters.model_validate(
        {"kind": "image", "image_url": IMAGE, "caption": caption}
    )


# instagram.publish: reel


def test_reel_minimal_is_a_video_url() -> None:
    params = InstagramPublishParameters.model_validate({"kind": "reel", "video_url": VIDEO})
    assert params.share_to_feed is True


def test_reel_full() -> None:
    InstagramPublishParameters.model_validate(
        {
            "kind": "reel",
            "video_url": VIDEO,
            "cover_url": IMAGE,
            "caption": "Watch",
            "share_to_feed": False,
            "max_wait": "PT30M",
        }
    )


def test_reel_needs_a_video_url() -> None:
    assert publish_locs(kind="reel", image_url=IMAGE) == [("video_url",), ("image_url",)]


# instagram.publish: story


@pytest.mark.parametrize("media", [{"image_url": IMAGE}, {"video_url": VIDEO}])
def test_story_takes_an_image_or_a_video(media: dict[str, str]) -> None:
    InstagramPublishParameters.model_validate({"kind": "story", **media})


def test_story_refuses_both_an_image_and_a_video() -> None:
    assert publish_locs(kind="story", image_url=IMAGE, video_url=VIDEO) == [("image_url",)]


def test_story_needs_an_image_or_a_video() -> None:
    assert publish_locs(kind="story") == [("image_url",)]


def test_story_refuses_a_caption() -> None:
    assert publish_locs(kind="story", image_url=IMAGE, caption="hi") == [("caption",)]


def test_story_refuses_a_caption_even_when_templated() -> None:
    data = {"kind": "story", "image_url": IMAGE, "caption": "{{ trigger.caption }}"}
    with pytest.raises(ValidationError) as caught:
        InstagramPublishParameters.model_validate(data)
    (problem,) = caught.value.errors()
    # Workflow validation drops errors whose input is a template; this one must survive.
    assert (problem["loc"], problem["input"]) == (("caption",), None)


# instagram.publish: carousel


def test_carousel_minimal_is_two_items() -> None:
    params = InstagramPublishParameters.model_validate(
        {"kind": "carousel", "items": [{"image_url": IMAGE}, {"video_url": VIDEO}]}
    )
    assert len(params.items) == 2


def test_carousel_full() -> None:
    InstagramPublishParameters.model_validate(
        {"kind": "carousel", "items": [{"image_url": IMAGE}] * 10, "caption": "Ten"}
    )


def test_carousel_needs_at_least_two_items() -> None:
    assert publish_locs(kind="carousel", items=[{"image_url": IMAGE}]) == [("items",)]


def test_carousel_refuses_more_than_ten_items() -> None:
    assert publish_locs(kind="carousel", items=[{"image_url": IMAGE}] * 11) == [("items",)]


def test_carousel_refuses_top_level_media() -> None:
    items = [{"image_url": IMAGE}, {"image_url": IMAGE}]
    assert publish_locs(kind="carousel", items=items, image_url=IMAGE, video_url=VIDEO) == [
        ("image_url",),
        ("video_url",),
    ]


def test_carousel_item_needs_exactly_one_media_url() -> None:
    items = [{"image_url": IMAGE}, {"image_url": IMAGE, "video_url": VIDEO}]
    assert publish_locs(kind="carousel", items=items) == [("items", 1, "image_url")]


# instagram.publish: polling


def test_publish_kind_is_required() -> None:
    assert publish_locs(image_url=IMAGE) == [("kind",)]


def test_poll_interval_is_at_most_a_minute() -> None:
    assert publish_locs(kind="image", image_url=IMAGE, poll_interval="PT2M") == [("poll_interval",)]


def test_max_wait_is_at_most_an_hour() -> None:
    assert publish_locs(kind="image", image_url=IMAGE, max_wait="PT2H") == [("max_wait",)]


def test_max_wait_is_not_shorter_than_poll_interval() -> None:
    data = {"poll_interval": "PT30S", "max_wait": "PT20S"}
    assert publish_locs(kind="image", image_url=IMAGE, **data) == [("max_wait",)]


# instagram.insights


def test_media_insights_minimal() -> None:
    params = InstagramInsightsParameters.model_validate(
        {"target": "media", "media_id": MEDIA_ID, "metrics": ["reach"]}
    )
    assert params.period is None


def test_media_insights_full() -> None:
    InstagramInsightsParameters.model_validate(
        {
            "target": "media",
            "media_id": "{{ nodes.publish.media_id }}",
            "metrics": ["reach", "likes", "comments", "saved", "shares", "total_interactions"],
            "period": "lifetime",
        }
    )


def test_account_insights_minimal() -> None:
    InstagramInsightsParameters.model_validate({"target": "account", "metrics": ["reach"]})


def test_account_insights_full() -> None:
    InstagramInsightsParameters.model_validate(
        {
            "target": "account",
            "metrics": ["impressions", "reach", "follower_count", "profile_views"],
            "period": "days_28",
        }
    )


def test_media_insights_need_a_media_id() -> None:
    data = {"target": "media", "metrics": ["reach"]}
    assert locs(InstagramInsightsParameters, data) == [("media_id",)]


def test_media_id_must_be_digits() -> None:
    data = {"target": "media", "media_id": "abc", "metrics": ["reach"]}
    assert locs(InstagramInsightsParameters, data) == [("media_id",)]


def test_account_insights_refuse_a_media_id() -> None:
    data = {"target": "account", "media_id": MEDIA_ID, "metrics": ["reach"]}
    assert locs(InstagramInsightsParameters, data) == [("media_id",)]


def test_media_metric_is_refused_for_the_account() -> None:
    data = {"target": "account", "metrics": ["reach", "saved"]}
    assert locs(InstagramInsightsParameters, data) == [("metrics", 1)]


def test_account_metric_is_refused_for_media() -> None:
    data = {"target": "media", "media_id": MEDIA_ID, "metrics": ["follower_count"]}
    assert locs(InstagramInsightsParameters, data) == [("metrics", 0)]


def test_repeated_metric_is_refused() -> None:
    data = {"target": "account", "metrics": ["reach", "reach"]}
    assert locs(InstagramInsightsParameters, data) == [("metrics", 1)]


@pytest.mark.parametrize("count", [0, 21])
def test_insights_take_one_to_twenty_metrics(count: int) -> None:
    data = {"target": "account", "metrics": ["reach"] * count}
    assert ("metrics",) in locs(InstagramInsightsParameters, data)


def test_media_insights_are_lifetime_only() -> None:
    data = {"target": "media", "media_id": MEDIA_ID, "metrics": ["reach"], "period": "day"}
    assert locs(InstagramInsightsParameters, data) == [("period",)]


def test_account_insights_refuse_lifetime() -> None:
    data = {"target": "account", "metrics": ["reach"], "period": "lifetime"}
    assert locs(InstagramInsightsParameters, data) == [("period",)]
