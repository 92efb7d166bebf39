"""Richer Instagram publishing against the emulator over real HTTP (issue 15, point 2): alt
text, people and product tags, a location, collaborators, and a first comment posted exactly
once; Meta's rules on which media take which, checked when the workflow is saved and again by
the emulator as Meta checks them."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from activities.instagram.nodes import InstagramPublishParameters
from activities.services import ActionServices
from emulator import record
from emulator.testing import EmulatorHandle
from tests.activities.support import Attempts
from tests.activities.test_instagram_actions import IMAGE, VIDEO, Instagram, connect_instagram
from tests.utils.servers import http_client

COMMENTS = "/v21.0/*/comments"


@pytest.fixture
async def instagram(
    emulator: EmulatorHandle, services: ActionServices, organization: str
) -> Instagram:
    return await connect_instagram(emulator, services, organization, polls=0)


def comments_under(instagram: Instagram, media_id: str) -> list[tuple[str, str]]:
    return [
        (c.username, c.text)
        for c in instagram.emulator.state.instagram.comments.values()
        if c.media_id == media_id
    ]


async def test_an_image_is_published_with_every_option_and_its_first_comment(
    instagram: Instagram,
) -> None:
    output = await instagram.run(
        "publish", kind="image", image_url=IMAGE, caption="New in",
        alt_text="A red mug on a wooden table",
        user_tags=[{"username": "bo.brews", "x": 0.25, "y": 0.75}],
        product_tags=[{"product_id": "3231775643511089", "x": 0.5, "y": 0.5}],
        location_id="7640348500", collaborators=["bo.brews", "cafe.ada"],
        first_comment="#mug #handmade",
    )  # fmt: skip
    [media] = instagram.published()
    options = media.options
    assert options.alt_text == "A red mug on a wooden table"
    assert options.user_tags == [{"username": "bo.brews", "x": 0.25, "y": 0.75}]
    assert options.product_tags == [{"product_id": "3231775643511089", "x": 0.5, "y": 0.5}]
    assert (options.location_id, options.collaborators) == ("7640348500", ["bo.brews", "cafe.ada"])
    assert comments_under(instagram, media.id) == [("ada.makes", "#mug #handmade")]
    [comment] = instagram.emulator.state.instagram.comments.values()
    assert output["first_comment_id"] == comment.id


async def test_a_reel_tags_people_without_a_point(instagram: Instagram) -> None:
    await instagram.run(
        "publish", kind="reel", video_url=VIDEO, caption="behind the scenes",
        user_tags=[{"username": "bo.brews"}], collaborators=["cafe.ada"],
    )  # fmt: skip
    [media] = instagram.published()
    assert media.options.user_tags == [{"username": "bo.brews"}]
    assert "first_comment_id" not in (await instagram.run("publish", kind="reel", video_url=VIDEO))


@pytest.mark.parametrize("network", [True, False], ids=["answer-lost", "503-after-posting"])
async def test_a_first_comment_whose_answer_was_lost_is_found_not_posted_again(
    instagram: Instagram, network: bool
) -> None:
    attempts = Attempts()
    if network:
        instagram.emulator.fail_next("POST", COMMENTS, network=True, when="after")
    else:
        instagram.emulator.fail_next("POST", COMMENTS, status=503, when="after")
    post: dict[str, Any] = {"kind": "image", "image_url": IMAGE, "first_comment": "first!"}
    await instagram.fails("publish", attempts, **post)
    output = await instagram.run("publish", attempts, **post)
    [media] = instagram.published()
    assert output["media_id"] == media.id
    assert comments_under(instagram, media.id) == [("ada.makes", "first!")]
    assert instagram.emulator.count(record.INSTAGRAM_MEDIA_PUBLISHED) == 1


async def test_a_first_comment_refused_before_posting_is_posted_by_the_retry(
    instagram: Instagram,
) -> None:
    attempts = Attempts()
    instagram.emulator.fail_next("POST", COMMENTS, status=503, when="before")
    post: dict[str, Any] = {"kind": "image", "image_url": IMAGE, "first_comment": "first!"}
    await instagram.fails("publish", attempts, **post)
    await instagram.run("publish", attempts, **post)
    [media] = instagram.published()
    assert comments_under(instagram, media.id) == [("ada.makes", "first!")]


@pytest.mark.parametrize(
    ("parameters", "where", "message"),
    [
        ({"kind": "story", "image_url": IMAGE, "first_comment": "x"}, ("first_comment",), "story"),
        ({"kind": "reel", "video_url": VIDEO, "alt_text": "x"}, ("alt_text",), "reel"),
        (
            {"kind": "image", "image_url": IMAGE, "user_tags": [{"username": "bo"}]},
            ("user_tags", 0),
            "needs x and y",
        ),
        (
            {"kind": "reel", "video_url": VIDEO, "product_tags": [{"product_id": "1", "x": 0.1}]},
            ("product_tags", 0),
            "takes no x or y",
        ),
        (
            {"kind": "image", "image_url": IMAGE, "user_tags": [{"username": "b", "x": 2, "y": 0}]},
            ("user_tags", 0, "x"),
            "less than or equal to 1",
        ),
        (
            {"kind": "image", "image_url": IMAGE, "collaborators": ["a", "b", "c", "d"]},
            ("collaborators",),
            "at most 3",
        ),
        (
            {
                "kind": "carousel",
                "items": [{"image_url": IMAGE}] * 2,
                "user_tags": [{"username": "b"}],
            },
            ("user_tags",),
            "carousel",
        ),
        (
            {"kind": "image", "image_url": IMAGE, "location_id": "Berlin"},
            ("location_id",),
            "digits",
        ),
        *(
            (
                {"kind": "image", "image_url": IMAGE, "collaborators": [name]},
                ("collaborators", 0),
                "Instagram username",
            )
            for name in (".ada", "ada.", "a..da", "../me", "a/b", "ada makes")
        ),
    ],
)
def test_options_a_kind_does_not_take_are_refused_where_they_are(
    parameters: dict[str, Any], where: tuple[str | int, ...], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        InstagramPublishParameters.model_validate(parameters)
    [problem] = caught.value.errors()
    assert problem["loc"] == where
    assert message in problem["msg"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"image_url": IMAGE, "user_tags": '[{"username": "bo", "x": 1.5, "y": 0}]'}, "x and y"),
        (
            {
                "media_type": "REELS",
                "video_url": VIDEO,
                "user_tags": '[{"username": "b", "x": 0.1}]',
            },
            "without x",
        ),
        ({"media_type": "STORIES", "image_url": IMAGE, "collaborators": '["bo"]'}, "stories"),
        (
            {
                "image_url": IMAGE,
                "product_tags": "["
                + '{"product_id": "1", "x": 0, "y": 0},' * 5
                + '{"product_id": "2", "x": 0, "y": 0}]',
            },
            "at most 5",
        ),
        ({"media_type": "REELS", "video_url": VIDEO, "alt_text": "a"}, "only supported for images"),
    ],
)
async def test_the_emulator_refuses_what_meta_refuses(
    instagram: Instagram, form: dict[str, str], message: str
) -> None:
    async with http_client(timeout=10) as client:
        response = await client.post(
            f"{instagram.emulator.graph_url()}/{instagram.user.ig_user_id}/media",
            data=form,
            headers={"Authorization": f"Bearer {instagram.user.access_token}"},
        )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert message in error["message"]
