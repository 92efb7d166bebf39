"""Instagram activities against the emulator over real HTTP: publishing every kind of media,
waiting for processing, resuming without publishing twice, insights, and Meta's error codes."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities.instagram.actions import InstagramActivities
from activities.instagram.errors import MAX_REGAIN_DELAY, regain_delay
from activities.services import ActionServices
from app.db.models import Account
from emulator import record
from emulator.config import EmulatorConfig
from emulator.control import InstagramAccount
from emulator.testing import EmulatorHandle
from tests.activities.support import Attempts, action, new_account

IMAGE = "https://cdn.example.com/photo.jpg"
VIDEO = "https://cdn.example.com/clip.mp4"
PUBLISH = "/v21.0/*/media_publish"


class Instagram:
    def __init__(
        self, emulator: EmulatorHandle, user: InstagramAccount, account_id: str,
        organization: str, services: ActionServices,
    ) -> None:  # fmt: skip
        self.emulator = emulator
        self.user = user
        self.account_id = account_id
        self.organization = organization
        self.services = services
        self.activities = InstagramActivities(services)

    async def run(self, name: str, attempts: Attempts | None = None, **parameters: Any) -> Any:
        request = action(
            f"instagram.{name}", parameters, organization_id=self.organization,
            account_id=self.account_id,
        )  # fmt: skip
        return await (attempts or Attempts()).run(getattr(self.activities, name), request)

    async def fails(
        self, name: str, attempts: Attempts | None = None, **parameters: Any
    ) -> ApplicationError:
        with pytest.raises(ApplicationError) as caught:
            await self.run(name, attempts, **parameters)
        return caught.value

    def published(self) -> list[Any]:
        return self.emulator.published_by(self.user.ig_user_id)


async def connect_instagram(
    emulator: EmulatorHandle, services: ActionServices, organization: str, polls: int
) -> Instagram:
    emulator.reset(EmulatorConfig(instagram_polls_in_progress=polls))
    user = emulator.add_instagram_user("ada.makes")
    account = await new_account(
        services, organization_id=organization, platform="instagram", kind="token",
        secret={"access_token": user.access_token}, external_id=user.ig_user_id,
        expires_at=user.expires_at,
    )  # fmt: skip
    return Instagram(emulator, user, account, organization, services)


@pytest.fixture
async def instagram(
    emulator: EmulatorHandle, services: ActionServices, organization: str
) -> Instagram:
    # Processing ends at once unless a test says otherwise: polling costs a second a round.
    return await connect_instagram(emulator, services, organization, polls=0)


IMAGE_POST: dict[str, Any] = {"kind": "image", "image_url": IMAGE, "caption": "Launch day #launch"}


# Publishing


async def test_an_image_is_published_once(instagram: Instagram) -> None:
    output = await instagram.run("publish", **IMAGE_POST)
    [media] = instagram.published()
    assert output == {
        "media_id": media.id, "container_id": media.container_id, "permalink": media.permalink,
    }  # fmt: skip
    assert media.caption == "Launch day #launch"
    assert instagram.emulator.count(record.INSTAGRAM_MEDIA_PUBLISHED) == 1


@pytest.mark.parametrize(
    ("parameters", "media_type", "product"),
    [
        ({"kind": "reel", "video_url": VIDEO, "caption": "a reel"}, "VIDEO", "REELS"),
        ({"kind": "story", "image_url": IMAGE}, "IMAGE", "STORY"),
        ({"kind": "story", "video_url": VIDEO}, "VIDEO", "STORY"),
    ],
)
async def test_reels_and_stories_are_published_as_their_kind(
    instagram: Instagram, parameters: dict[str, Any], media_type: str, product: str
) -> None:
    await instagram.run("publish", **parameters)
    [media] = instagram.published()
    assert (media.media_type, media.product_type) == (media_type, product)


async def test_a_carousel_publishes_its_items_through_one_container(instagram: Instagram) -> None:
    items = [{"image_url": IMAGE}, {"video_url": VIDEO}]
    output = await instagram.run("publish", kind="carousel", items=items, caption="three")
    containers = instagram.emulator.containers_of(instagram.user.ig_user_id)
    [carousel] = [c for c in containers if c.media_type == "CAROUSEL"]
    assert carousel.id == output["container_id"]
    assert [c.is_carousel_item for c in containers if c.id in carousel.children] == [True, True]
    assert instagram.published()[0].media_type == "CAROUSEL_ALBUM"


async def test_publishing_waits_until_processing_has_finished(
    emulator: EmulatorHandle, services: ActionServices, organization: str
) -> None:
    instagram = await connect_instagram(emulator, services, organization, polls=1)
    attempts = Attempts()
    output = await instagram.run("publish", attempts, **IMAGE_POST, poll_interval=1)
    reads = instagram.emulator.requests("GET", f"/v21.0/{output['container_id']}")
    assert len(reads) == 2  # IN_PROGRESS, then FINISHED
    assert any(beat.get("container") == output["container_id"] for beat in attempts.heartbeats)
    assert len(instagram.published()) == 1


async def test_media_instagram_cannot_process_fails_for_good(instagram: Instagram) -> None:
    instagram.emulator.queue_container_outcomes(instagram.user.ig_user_id, "ERROR")
    error = await instagram.fails("publish", **IMAGE_POST)
    assert (error.type, error.non_retryable) == ("InstagramMediaFailed", True)
    assert instagram.published() == []


async def test_an_expired_container_is_replaced_on_the_next_attempt(instagram: Instagram) -> None:
    instagram.emulator.queue_container_outcomes(instagram.user.ig_user_id, "EXPIRED")
    attempts = Attempts()
    error = await instagram.fails("publish", attempts, **IMAGE_POST)
    assert (error.type, error.non_retryable) == ("InstagramContainerExpired", False)
    await instagram.run("publish", attempts, **IMAGE_POST)
    assert len(instagram.emulator.containers_of(instagram.user.ig_user_id)) == 2
    assert len(instagram.published()) == 1


async def test_a_retry_reuses_the_container_an_earlier_attempt_made(instagram: Instagram) -> None:
    attempts = Attempts()
    instagram.emulator.fail_next("GET", "/v21.0/*", status=503)  # the container's status
    await instagram.fails("publish", attempts, **IMAGE_POST)
    await instagram.run("publish", attempts, **IMAGE_POST)
    assert len(instagram.emulator.containers_of(instagram.user.ig_user_id)) == 1
    assert len(instagram.published()) == 1


async def test_a_publish_whose_answer_was_lost_is_found_not_repeated(
    instagram: Instagram,
) -> None:
    attempts = Attempts()
    instagram.emulator.fail_next("POST", PUBLISH, network=True, when="after")
    error = await instagram.fails("publish", attempts, **IMAGE_POST)
    assert error.type == "NetworkError"
    output = await instagram.run("publish", attempts, **IMAGE_POST)
    [media] = instagram.published()
    assert output["media_id"] == media.id
    assert instagram.emulator.count(record.INSTAGRAM_MEDIA_PUBLISHED) == 1


# Insights


async def test_media_insights_read_each_metric(instagram: Instagram) -> None:
    published = await instagram.run("publish", **IMAGE_POST)
    instagram.emulator.set_insights(published["media_id"], reach=120, likes=14)
    output = await instagram.run(
        "insights", target="media", media_id=published["media_id"], metrics=["reach", "likes"]
    )
    assert output == {"metrics": {"reach": 120.0, "likes": 14.0}}


async def test_account_insights_read_totals_for_the_period(instagram: Instagram) -> None:
    instagram.emulator.set_insights(instagram.user.ig_user_id, profile_views=33)
    output = await instagram.run(
        "insights", target="account", metrics=["profile_views", "reach"], period="week"
    )
    assert output["metrics"]["profile_views"] == 33.0
    assert set(output["metrics"]) == {"profile_views", "reach"}


# Meta's errors


def meta_error(code: int, **extra: Any) -> dict[str, Any]:
    return {"error": {"message": f"error {code}", "type": "OAuthException", "code": code, **extra}}


async def test_the_account_budget_retries_when_meta_says_access_returns(
    instagram: Instagram,
) -> None:
    instagram.emulator.set_instagram_usage(
        instagram.user.ig_user_id, remaining=0, reset_in=timedelta(minutes=30)
    )
    error = await instagram.fails("publish", **IMAGE_POST)
    assert (error.type, error.non_retryable) == ("InstagramRateLimited", False)
    assert error.next_retry_delay == timedelta(minutes=30)


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80002])
async def test_throttling_codes_retry_after_the_estimated_time(
    instagram: Instagram, code: int
) -> None:
    usage = {instagram.user.ig_user_id: [{"estimated_time_to_regain_access": 7}]}
    instagram.emulator.fail_next(
        "POST", "/v21.0/*/media", status=400, body=meta_error(code),
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
    )  # fmt: skip
    error = await instagram.fails("publish", **IMAGE_POST)
    assert (error.type, error.non_retryable) == ("InstagramRateLimited", False)
    assert error.next_retry_delay == timedelta(minutes=7)


async def throttled_with_regain(instagram: Instagram, regain: str) -> ApplicationError:
    """Publish against a throttling answer whose usage header carries `regain` verbatim (as
    JSON text: json.dumps would not write a 400-digit number or Infinity as Meta might)."""
    usage = f'{{"{instagram.user.ig_user_id}": [{{"estimated_time_to_regain_access": {regain}}}]}}'
    instagram.emulator.fail_next(
        "POST", "/v21.0/*/media", status=400, body=meta_error(80002),
        headers={"X-Business-Use-Case-Usage": usage},
    )  # fmt: skip
    error = await instagram.fails("publish", **IMAGE_POST)
    assert (error.type, error.non_retryable) == ("InstagramRateLimited", False)
    assert instagram.published() == []
    return error


@pytest.mark.parametrize(
    "regain",
    ["525600000", "1e308", "Infinity", "9" * 400],
    ids=["a-thousand-years", "largest-float", "infinity", "400-digits"],
)
async def test_an_absurd_time_to_regain_access_waits_at_most_a_day(
    instagram: Instagram, regain: str
) -> None:
    error = await throttled_with_regain(instagram, regain)
    assert error.next_retry_delay == MAX_REGAIN_DELAY


@pytest.mark.parametrize("regain", ["0", "-5", "NaN", "true", '"60"'])
async def test_a_time_to_regain_access_that_names_no_wait_retries_with_backoff(
    instagram: Instagram, regain: str
) -> None:
    error = await throttled_with_regain(instagram, regain)
    assert error.next_retry_delay is None


@pytest.mark.parametrize("code", [1, 2])
async def test_transient_codes_retry_with_backoff(instagram: Instagram, code: int) -> None:
    instagram.emulator.fail_next("POST", "/v21.0/*/media", status=500, body=meta_error(code))
    error = await instagram.fails("publish", **IMAGE_POST)
    assert (error.type, error.non_retryable) == ("InstagramTransient", False)


async def test_an_expired_token_fails_for_good_and_marks_the_account(
    instagram: Instagram,
) -> None:
    instagram.emulator.expire_token(instagram.user.access_token)
    error = await instagram.fails("publish", **IMAGE_POST)
    assert (error.type, error.non_retryable) == ("InstagramTokenExpired", True)
    assert instagram.user.access_token not in error.message
    async with instagram.services.database.session() as session:
        account = await session.get(Account, instagram.account_id, populate_existing=True)
    assert account is not None
    assert account.status == "expired"


async def test_the_token_reaches_neither_logs_nor_errors(
    instagram: Instagram, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 6.1: Meta takes the token in the URL, which httpx would log; a publish, an
    insights read and a refused call, logged at every level, never show it."""
    token = instagram.user.access_token
    with caplog.at_level(logging.DEBUG):
        published = await instagram.run("publish", **IMAGE_POST)
        await instagram.run(
            "insights", target="media", media_id=published["media_id"], metrics=["reach"]
        )
        instagram.emulator.fail_next(
            "POST", "/v21.0/*/media", status=400, body=meta_error(100, error_user_msg="No.")
        )
        error = await instagram.fails("publish", **IMAGE_POST)
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert token not in caplog.text
    assert token not in str(error)
    assert token not in repr(error.details)


async def test_other_errors_fail_for_good_with_metas_message(instagram: Instagram) -> None:
    instagram.emulator.fail_next(
        "POST", "/v21.0/*/media", status=400,
        body=meta_error(100, error_user_msg="The image is too small."),
    )  # fmt: skip
    error = await instagram.fails("publish", **IMAGE_POST)
    assert (error.type, error.non_retryable) == ("InstagramRefused", True)
    assert "The image is too small." in error.message


def test_a_usage_header_that_cannot_be_read_gives_no_delay() -> None:
    assert regain_delay({"X-Business-Use-Case-Usage": "{not json"}) is None
    assert regain_delay({"X-Business-Use-Case-Usage": '{"1": [{"call_count": 100}]}'}) is None
    assert regain_delay({}) is None
