"""Instagram conversations in the emulator over real HTTP, through the Graph API and the
control API: comments and replies with paging, hiding, deleting, direct messages and private
replies within Meta's windows, and the conversations that hold them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx

from emulator.control import InstagramAccount
from emulator.testing import EmulatorHandle


async def control(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    response = await http.post(f"/_emulator{path}", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def send(graph: httpx.AsyncClient, account: InstagramAccount, **body: Any) -> httpx.Response:
    form = {name: json.dumps(value) for name, value in body.items()}
    return await graph.post(f"/{account.ig_user_id}/messages", data=form)


async def test_comments_page_oldest_first_and_replies_nest_under_them(
    http: httpx.AsyncClient, graph: httpx.AsyncClient, account: InstagramAccount
) -> None:
    media = await control(http, f"/instagram/users/{account.ig_user_id}/published", {})
    comments = [
        await control(
            http, f"/instagram/media/{media['id']}/comments", {"username": "fan", "text": f"c{n}"}
        )
        for n in range(3)
    ]
    first = (await graph.get(f"/{media['id']}/comments", params={"limit": 2})).json()
    assert [c["text"] for c in first["data"]] == ["c0", "c1"]
    after = first["paging"]["cursors"]["after"]
    rest = (await graph.get(f"/{media['id']}/comments", params={"after": after})).json()
    assert [c["text"] for c in rest["data"]] == ["c2"]
    replied = await graph.post(f"/{comments[0]['id']}/replies", data={"message": "thanks"})
    assert replied.status_code == 200, replied.text
    replies = (
        await graph.get(f"/{comments[0]['id']}/replies", params={"fields": "text,from"})
    ).json()
    assert replies["data"] == [
        {"text": "thanks", "from": {"id": account.ig_user_id, "username": account.username}}
    ]
    nested = await graph.post(f"/{replied.json()['id']}/replies", data={"message": "again"})
    assert nested.status_code == 400
    assert nested.json()["error"]["code"] == 100


async def test_a_comment_is_hidden_then_deleted_with_its_replies(
    http: httpx.AsyncClient, graph: httpx.AsyncClient, account: InstagramAccount
) -> None:
    media = await control(http, f"/instagram/users/{account.ig_user_id}/published", {})
    comment = await control(
        http, f"/instagram/media/{media['id']}/comments", {"username": "troll", "text": "meh"}
    )
    assert (await graph.post(f"/{comment['id']}", data={"hide": "true"})).json() == {
        "success": True
    }
    read = (await graph.get(f"/{comment['id']}", params={"fields": "id,hidden,text"})).json()
    assert read == {"id": comment["id"], "hidden": True, "text": "meh"}
    await graph.post(f"/{comment['id']}/replies", data={"message": "please"})
    assert (await graph.delete(f"/{comment['id']}")).json() == {"success": True}
    gone = await graph.get(f"/{comment['id']}")
    assert gone.status_code == 400
    assert gone.json()["error"]["error_subcode"] == 33
    listed = await http.get(f"/_emulator/instagram/media/{media['id']}/comments")
    assert listed.json()["comments"] == []


async def test_a_direct_message_is_allowed_for_24_hours_after_the_persons_last_one(
    emulator: EmulatorHandle, http: httpx.AsyncClient, graph: httpx.AsyncClient,
    account: InstagramAccount,
) -> None:  # fmt: skip
    person = await control(
        http, f"/instagram/users/{account.ig_user_id}/inbox", {"username": "bo", "text": "hi"}
    )
    emulator.advance(timedelta(hours=23, minutes=59))
    ok = await send(graph, account, recipient={"id": person["user_id"]}, message={"text": "hello"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["recipient_id"] == person["user_id"]
    emulator.advance(timedelta(minutes=2))
    late = await send(
        graph, account, recipient={"id": person["user_id"]}, message={"text": "again"}
    )
    assert late.status_code == 400
    error = late.json()["error"]
    assert (error["code"], error["error_subcode"]) == (10, 2018278)
    assert error["message"] == "(#10) This message is sent outside of allowed window."
    await control(
        http,
        f"/instagram/users/{account.ig_user_id}/inbox",
        {"username": "bo", "text": "still there?", "user_id": person["user_id"]},
    )
    again = await send(graph, account, recipient={"id": person["user_id"]}, message={"text": "yes"})
    assert again.status_code == 200
    conversation = (
        await graph.get(
            f"/{account.ig_user_id}/conversations",
            params={
                "user_id": person["user_id"],
                "fields": "messages{id,message,from,created_time}",
            },
        )
    ).json()
    [thread] = conversation["data"]
    assert [m["message"] for m in thread["messages"]["data"]] == [
        "yes",
        "still there?",
        "hello",
        "hi",
    ]
    threads = (await http.get(f"/_emulator/instagram/users/{account.ig_user_id}/threads")).json()
    assert len(threads["threads"][0]["messages"]) == 4


async def test_a_private_reply_is_once_per_comment_within_seven_days(
    emulator: EmulatorHandle, http: httpx.AsyncClient, graph: httpx.AsyncClient,
    account: InstagramAccount,
) -> None:  # fmt: skip
    media = await control(http, f"/instagram/users/{account.ig_user_id}/published", {})
    early = await control(
        http, f"/instagram/media/{media['id']}/comments", {"username": "a", "text": "1"}
    )
    emulator.advance(timedelta(days=6))
    recent = await control(
        http, f"/instagram/media/{media['id']}/comments", {"username": "b", "text": "2"}
    )
    emulator.advance(timedelta(days=1, minutes=1))
    too_old = await send(
        graph, account, recipient={"comment_id": early["id"]}, message={"text": "x"}
    )
    assert too_old.json()["error"]["error_subcode"] == 2534022
    sent = await send(graph, account, recipient={"comment_id": recent["id"]}, message={"text": "x"})
    assert sent.status_code == 200, sent.text
    twice = await send(
        graph, account, recipient={"comment_id": recent["id"]}, message={"text": "y"}
    )
    assert twice.json()["error"]["code"] == 10
    over = await send(
        graph, account, recipient={"comment_id": recent["id"]}, message={"text": "z" * 1001}
    )
    assert over.json()["error"]["code"] == 100
