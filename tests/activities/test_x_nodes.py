"""Parameters of the X node types: what a workflow may ask of `x.*` nodes."""

from __future__ import annotations

import pytest

from activities.x.media_nodes import XUploadMediaParameters
from activities.x.nodes import (
    NODE_TYPES,
    XDeleteParameters,
    XGetPostParameters,
    XMeParameters,
    XPostParameters,
    XThreadParameters,
)
from activities.x.read_nodes import (
    XMentionsParameters,
    XSearchRecentParameters,
    XUserPostsParameters,
)
from tests.utils.parameters import locs

POST_ID = "1346889436626259968"
MEDIA_ID = "1455952740635586573"


def test_every_x_node_is_an_action_on_an_x_account() -> None:
    assert {node.type for node in NODE_TYPES} == {
        "x.post",
        "x.thread",
        "x.delete",
        "x.get_post",
        "x.me",
        "x.upload_media",
        "x.mentions",
        "x.user_posts",
        "x.search_recent",
    }
    for node in NODE_TYPES:
        assert (node.kind, node.category, node.account) == ("action", "x", "x")
        assert node.account_required


# x.post


def test_post_minimal_is_just_text() -> None:
    params = XPostParameters.model_validate({"text": "hello"})
    assert params.media_ids == []
    assert params.reply_to is None


def test_post_full() -> None:
    params = XPostParameters.model_validate(
        {
            "text": "x" * 280,
            "reply_to": POST_ID,
            "media_ids": [MEDIA_ID] * 4,
            "reply_settings": "mentionedUsers",
        }
    )
    assert params.reply_settings == "mentionedUsers"


def test_post_may_reply_and_quote_at_once() -> None:
    XPostParameters.model_validate({"text": "hi", "reply_to": POST_ID, "quote_post_id": POST_ID})


def test_post_text_longer_than_280_characters_is_refused() -> None:
    assert locs(XPostParameters, {"text": "x" * 281}) == [("text",)]


def test_post_templated_text_longer_than_280_characters_is_accepted() -> None:
    XPostParameters.model_validate({"text": "{{ trigger.body }}" + "x" * 300})


def test_post_empty_text_is_refused_without_media() -> None:
    assert locs(XPostParameters, {"text": "  "}) == [("text",)]


def test_post_empty_text_is_accepted_with_media() -> None:
    XPostParameters.model_validate({"text": "", "media_ids": [MEDIA_ID]})


def test_post_more_than_four_media_ids_are_refused() -> None:
    assert locs(XPostParameters, {"text": "hi", "media_ids": [MEDIA_ID] * 5}) == [("media_ids",)]


def test_post_media_id_must_be_digits() -> None:
    assert locs(XPostParameters, {"text": "hi", "media_ids": ["abc"]}) == [("media_ids", 0)]


@pytest.mark.parametrize("bad_id", ["", "12a", "1" * 20, "https://x.com/a/status/1"])
def test_post_reply_to_must_be_a_post_id(bad_id: str) -> None:
    assert locs(XPostParameters, {"text": "hi", "reply_to": bad_id}) == [("reply_to",)]


def test_post_quote_post_id_must_be_a_post_id() -> None:
    assert locs(XPostParameters, {"text": "hi", "quote_post_id": "x"}) == [("quote_post_id",)]


def test_post_ids_may_be_templates() -> None:
    XPostParameters.model_validate(
        {"text": "hi", "reply_to": "{{ nodes.first.id }}", "quote_post_id": "{{ vars.id }}"}
    )


def test_post_quote_cannot_carry_media() -> None:
    data = {"text": "hi", "quote_post_id": POST_ID, "media_ids": [MEDIA_ID]}
    assert locs(XPostParameters, data) == [("media_ids",)]


def test_post_reply_settings_are_those_of_the_api() -> None:
    assert locs(XPostParameters, {"text": "hi", "reply_settings": "everyone"}) == [
        ("reply_settings",)
    ]


def test_post_unknown_parameter_is_refused() -> None:
    assert locs(XPostParameters, {"text": "hi", "poll": {}}) == [("poll",)]


# x.thread


def test_thread_minimal_is_two_posts() -> None:
    params = XThreadParameters.model_validate({"posts": [{"text": "1/2"}, {"text": "2/2"}]})
    assert [post.text for post in params.posts] == ["1/2", "2/2"]


def test_thread_full() -> None:
    posts = [{"text": f"{index}/25", "media_ids": [MEDIA_ID]} for index in range(25)]
    posts[0] = {"text": "", "media_ids": [MEDIA_ID] * 4}
    XThreadParameters.model_validate({"posts": posts})


@pytest.mark.parametrize("count", [0, 1, 26])
def test_thread_needs_two_to_twenty_five_posts(count: int) -> None:
    assert locs(XThreadParameters, {"posts": [{"text": "t"}] * count}) == [("posts",)]


def test_thread_post_text_longer_than_280_characters_is_refused() -> None:
    data = {"posts": [{"text": "ok"}, {"text": "x" * 281}]}
    assert locs(XThreadParameters, data) == [("posts", 1, "text")]


def test_thread_post_templated_text_is_not_length_checked() -> None:
    XThreadParameters.model_validate({"posts": [{"text": "ok"}, {"text": "{{ a }}" * 100}]})


def test_thread_post_without_text_or_media_is_refused() -> None:
    assert locs(XThreadParameters, {"posts": [{"text": "ok"}, {}]}) == [("posts", 1, "text")]


def test_thread_post_more_than_four_media_ids_are_refused() -> None:
    data = {"posts": [{"text": "ok"}, {"text": "ok", "media_ids": [MEDIA_ID] * 5}]}
    assert locs(XThreadParameters, data) == [("posts", 1, "media_ids")]


# x.delete


def test_delete_takes_a_post_id() -> None:
    assert XDeleteParameters.model_validate({"post_id": POST_ID}).post_id == POST_ID


def test_delete_accepts_a_templated_post_id() -> None:
    XDeleteParameters.model_validate({"post_id": "{{ nodes.post.id }}"})


def test_delete_needs_a_post_id() -> None:
    assert locs(XDeleteParameters, {}) == [("post_id",)]


def test_delete_refuses_a_bad_post_id() -> None:
    assert locs(XDeleteParameters, {"post_id": "-1"}) == [("post_id",)]


# x.get_post


def test_get_post_minimal_reads_metrics_and_creation_time() -> None:
    params = XGetPostParameters.model_validate({"post_id": POST_ID})
    assert params.fields == ["public_metrics", "created_at"]


def test_get_post_full() -> None:
    params = XGetPostParameters.model_validate(
        {"post_id": POST_ID, "fields": ["lang", "entities", "organic_metrics"]}
    )
    assert params.fields == ["lang", "entities", "organic_metrics"]


def test_get_post_refuses_an_unknown_field() -> None:
    data = {"post_id": POST_ID, "fields": ["public_metrics", "retweets"]}
    assert locs(XGetPostParameters, data) == [("fields", 1)]


def test_get_post_refuses_a_repeated_field() -> None:
    data = {"post_id": POST_ID, "fields": ["lang", "lang"]}
    assert locs(XGetPostParameters, data) == [("fields", 1)]


def test_get_post_refuses_a_bad_post_id() -> None:
    assert locs(XGetPostParameters, {"post_id": "abc"}) == [("post_id",)]


def test_get_post_output_describes_public_metrics() -> None:
    node = next(node for node in NODE_TYPES if node.type == "x.get_post")
    metrics = node.output["properties"]["public_metrics"]["properties"]
    assert set(metrics) == {
        "repost_count",
        "reply_count",
        "like_count",
        "quote_count",
        "impression_count",
        "bookmark_count",
    }


# x.me


def test_me_takes_no_parameters() -> None:
    XMeParameters.model_validate({})


def test_me_refuses_any_parameter() -> None:
    assert locs(XMeParameters, {"user": "me"}) == [("user",)]


# x.upload_media


def test_upload_takes_a_url_or_data_with_its_type() -> None:
    XUploadMediaParameters.model_validate({"url": "https://cdn.example.com/a.jpg"})
    XUploadMediaParameters.model_validate({"data": "{{ trigger.img }}", "media_type": "image/png"})


def test_upload_needs_exactly_one_source() -> None:
    assert locs(XUploadMediaParameters, {}) == [("url",)]
    both = {"url": "https://cdn.example.com/a.jpg", "data": "AAAA", "media_type": "image/png"}
    assert locs(XUploadMediaParameters, both) == [("url",)]


def test_upload_data_needs_a_media_type() -> None:
    assert locs(XUploadMediaParameters, {"data": "AAAA"}) == [("media_type",)]


def test_upload_refuses_a_url_without_http_and_types_x_does_not_post() -> None:
    assert locs(XUploadMediaParameters, {"url": "file:///etc/passwd"}) == [("url",)]
    assert locs(XUploadMediaParameters, {"data": "AAAA", "media_type": "text/plain"}) == [
        ("media_type",)
    ]


def test_upload_max_wait_is_bounded() -> None:
    assert locs(XUploadMediaParameters, {"url": "https://a.example/v.mp4", "max_wait": "PT2H"}) == [
        ("max_wait",)
    ]


# x.mentions, x.user_posts, x.search_recent


def test_reads_default_to_one_page_of_a_hundred() -> None:
    params = XMentionsParameters.model_validate({})
    assert (params.max_results, params.max_pages, params.since_id) == (100, 1, None)


def test_reads_bound_pages_and_page_size() -> None:
    assert locs(XMentionsParameters, {"max_pages": 11, "max_results": 101}) == [
        ("max_results",),
        ("max_pages",),
    ]
    assert locs(XUserPostsParameters, {"max_results": 9, "max_pages": 0}) == [
        ("max_results",),
        ("max_pages",),
    ]


def test_reads_take_since_id_as_an_id_or_a_template() -> None:
    XMentionsParameters.model_validate({"since_id": "{{ nodes.last.newest_id }}"})
    assert locs(XMentionsParameters, {"since_id": "latest"}) == [("since_id",)]


def test_reads_refuse_a_field_twice() -> None:
    assert locs(XUserPostsParameters, {"fields": ["created_at", "created_at"]}) == [("fields", 1)]


def test_search_needs_a_query_of_at_most_512_characters() -> None:
    assert locs(XSearchRecentParameters, {}) == [("query",)]
    assert locs(XSearchRecentParameters, {"query": "x" * 513}) == [("query",)]
    XSearchRecentParameters.model_validate({"query": "#launch from:ada"})
