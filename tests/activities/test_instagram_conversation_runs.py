"""Instagram conversations in whole runs on a real (time-skipping) Temporal server, the
worker's activities calling the emulator over real HTTP (issue 15, point 2): a comment
moderated and answered publicly and privately, a direct message, with lost answers along
the way, each side effect exactly once; the messaging window enforced; no token in the
history or the logs."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from emulator import record
from emulator.instagram_state import add_comment, add_message, thread_with
from tests.activities.test_platform_runs import Platforms, platforms
from tests.utils.temporal import history_text
from workflows.state import STATE_QUERY, RunState

__all__ = ["platforms"]

IMAGE = "https://cdn.example.com/photo.jpg"


def ig(platforms: Platforms, node_id: str, type_: str, **parameters: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": f"instagram.{type_}",
        "account_id": platforms.instagram_account,
        "parameters": parameters,
    }


async def test_a_comment_is_moderated_and_answered_once_despite_lost_answers(
    platforms: Platforms, caplog: pytest.LogCaptureFixture, time_skipping_env: WorkflowEnvironment
) -> None:
    """A retry looks for its reply since the step was scheduled, by the worker's clock less
    some skew."""
    with time_skipping_env.auto_time_skipping_disabled():
        await answered_once(platforms, caplog)


async def test_a_retry_finds_its_reply_though_the_servers_clock_ran_ahead(
    platforms: Platforms, caplog: pytest.LogCaptureFixture, time_skipping_env: WorkflowEnvironment
) -> None:
    """The time-skipping server keeps every timer any test skipped (it is shared by the
    session), so its clock runs hours ahead of the wall clock and of Meta's (the emulator's):
    the step's scheduled time, read as is, lay after the reply and the reply was posted twice.
    A retry lays the time since then back from the worker's clock instead."""
    await time_skipping_env.sleep(timedelta(hours=6))
    with time_skipping_env.auto_time_skipping_disabled():
        await answered_once(platforms, caplog)


async def answered_once(platforms: Platforms, caplog: pytest.LogCaptureFixture) -> None:
    emulator = platforms.emulator
    published = await platforms.start(
        ig(platforms, "publish", "publish", kind="image", image_url=IMAGE, caption="new mug",
           alt_text="a red mug", user_tags=[{"username": "bo.brews", "x": 0.3, "y": 0.6}],
           collaborators=["cafe.ada"], first_comment="#mug", poll_interval="PT1S"),
    )  # fmt: skip
    media_id = (await published.result()).nodes["publish"].output["media_id"]
    state = emulator.state.instagram
    media = state.media[media_id]
    fan = add_comment(state, media, author_id="555001", username="fan", text="how much?")
    person = thread_with(state, platforms.instagram.ig_user_id, "555002", "buyer")
    add_message(state, person, "555002", "is it in stock?")
    for path in ("/v21.0/*/replies", "/v21.0/*/messages"):
        emulator.fail_next("POST", path, network=True, when="after")
    with caplog.at_level(logging.DEBUG):
        handle = await platforms.start(
            ig(platforms, "listed", "list_comments", media_id=media_id),
            ig(platforms, "reply", "reply_comment", comment_id=fan.id,
               message="12 EUR, {{ nodes.listed.count }} comments so far"),
            ig(platforms, "private", "private_reply", comment_id=fan.id, message="link: ..."),
            ig(platforms, "dm", "send_message", recipient_id="555002", message="yes, 3 left"),
            ig(platforms, "hide", "hide_comment", comment_id=fan.id),
        )  # fmt: skip
        final = await handle.result()
    assert final.status == "succeeded", final
    outputs = {node_id: node.output for node_id, node in final.nodes.items()}
    assert [c["text"] for c in outputs["listed"]["comments"]] == ["#mug", "how much?"]
    assert [(c.text, c.username) for c in state.comments.values() if c.parent_id == fan.id] == [
        ("12 EUR, 2 comments so far", "ada.makes")
    ]
    assert final.nodes["reply"].attempts == 2
    assert fan.hidden is True
    owner = platforms.instagram.ig_user_id
    sent = {
        user: [m.text for m in thread.messages if m.from_id == owner]
        for (_, user), thread in state.threads.items()
    }
    assert sent == {"555002": ["yes, 3 left"], "555001": ["link: ..."]}
    assert outputs["private"]["recipient_id"] == "555001"
    assert emulator.count(record.INSTAGRAM_MESSAGE_SENT) == 2
    assert emulator.count(record.INSTAGRAM_COMMENT_CREATED) == 3  # first comment, fan, reply
    history = await history_text(handle)
    assert platforms.instagram_account in history  # payloads were searched
    for text in (history, caplog.text):
        assert platforms.instagram.access_token not in text


async def test_a_message_past_the_24_hour_window_fails_its_node_with_metas_reason(
    platforms: Platforms,
) -> None:
    state = platforms.emulator.state.instagram
    person = thread_with(state, platforms.instagram.ig_user_id, "555003", "late")
    add_message(state, person, "555003", "hello?")
    platforms.emulator.advance(timedelta(hours=25))
    handle = await platforms.start(
        ig(platforms, "dm", "send_message", recipient_id="555003", message="sorry for the wait")
    )
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    final = await handle.query(STATE_QUERY, result_type=RunState)
    assert final.status == "failed"
    error = final.nodes["dm"].error
    assert error is not None
    assert error.type == "InstagramRefused"
    assert "outside of allowed window" in error.message
    assert final.nodes["dm"].attempts == 1
    assert platforms.emulator.count(record.INSTAGRAM_MESSAGE_SENT) == 0
