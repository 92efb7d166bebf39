"""Failures queued on purpose: statuses, bodies and headers of our choosing, lost
connections, answers that never come, and answers lost after the request took effect."""

from __future__ import annotations

import httpx
import pytest

from emulator.testing import EmulatorHandle


async def test_a_queued_failure_answers_instead_of_the_platform_once(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    emulator.fail_next(
        "POST", "/2/tweets", status=429, headers={"x-rate-limit-reset": "1700000000"}, body={"x": 1}
    )

    failed = await x.post("/2/tweets", json={"text": "first try"})
    succeeded = await x.post("/2/tweets", json={"text": "first try"})

    assert (failed.status_code, failed.json()) == (429, {"x": 1})
    assert failed.headers["x-rate-limit-reset"] == "1700000000"
    assert succeeded.status_code == 201
    assert len(emulator.posts_by("ada")) == 1


async def test_without_a_body_x_paths_fail_with_xs_problem_json(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    emulator.fail_next("GET", "/2/users/me", status=503)

    response = await x.get("/2/users/me")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "title": "Service Unavailable",
        "type": "about:blank",
        "status": 503,
        "detail": "Service Unavailable",
    }


async def test_a_failure_can_repeat(emulator: EmulatorHandle, x: httpx.AsyncClient) -> None:
    emulator.fail_next("GET", "/2/users/me", status=500, times=2)

    statuses = [(await x.get("/2/users/me")).status_code for _ in range(3)]

    assert statuses == [500, 500, 200]


async def test_a_path_glob_and_method_choose_which_requests_fail(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    emulator.fail_next("DELETE", "/2/tweets/*", status=502)
    post_id = (await x.post("/2/tweets", json={"text": "stays"})).json()["data"]["id"]

    read = await x.get(f"/2/tweets/{post_id}")
    deleted = await x.delete(f"/2/tweets/{post_id}")

    assert (read.status_code, deleted.status_code) == (200, 502)
    assert len(emulator.posts_by("ada")) == 1


async def test_any_method_matches_a_star(emulator: EmulatorHandle, x: httpx.AsyncClient) -> None:
    emulator.fail_next("*", "/2/users/me", status=500)

    assert (await x.get("/2/users/me")).status_code == 500


async def test_a_network_failure_closes_the_connection_without_effect(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    emulator.fail_next("POST", "/2/tweets", network=True)

    with pytest.raises(httpx.RemoteProtocolError):
        await x.post("/2/tweets", json={"text": "lost"})

    assert emulator.posts_by("ada") == []
    [exchange] = emulator.requests("POST", "/2/tweets")
    assert (exchange.status, exchange.injected) == (0, True)


async def test_a_failure_after_the_effect_keeps_the_post_but_loses_the_answer(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    emulator.fail_next("POST", "/2/tweets", status=503, when="after")

    response = await x.post("/2/tweets", json={"text": "did it post?"})

    assert response.status_code == 503
    assert [post.text for post in emulator.posts_by("ada")] == ["did it post?"]
    retry = await x.post("/2/tweets", json={"text": "did it post?"})
    assert retry.status_code == 403  # the duplicate the engine must recognise as its own


async def test_a_connection_lost_after_the_effect_keeps_the_post(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    emulator.fail_next("POST", "/2/tweets", network=True, when="after")

    with pytest.raises(httpx.RemoteProtocolError):
        await x.post("/2/tweets", json={"text": "posted, then cut"})

    assert len(emulator.posts_by("ada")) == 1


async def test_a_hanging_answer_keeps_the_post_and_waits_for_the_client_to_leave(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    emulator.fail_next("POST", "/2/tweets", hang=True, when="after")

    # The client gives up; until then the emulator has answered nothing.
    with pytest.raises(httpx.ReadTimeout):
        await x.post("/2/tweets", json={"text": "still waiting"}, timeout=0.5)

    assert [post.text for post in emulator.posts_by("ada")] == ["still waiting"]


async def test_the_control_api_never_fails_on_purpose(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    emulator.fail_next("*", "*", status=500)

    response = await http.get("/_emulator/faults")

    assert response.status_code == 200
    assert len(response.json()["faults"]) == 1
