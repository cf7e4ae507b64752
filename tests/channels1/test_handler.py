"""`channels1.handler`: requests built from ``http.request`` messages, responses cut
into ``http.response`` messages, and the Django request cycle run by AsgiHandler
(on the in-memory layer, which carries body chunks)."""

import pytest
from django.http import HttpResponse, StreamingHttpResponse

from channels1.exceptions import RequestAborted, RequestTimeout
from channels1.handler import AsgiHandler, AsgiRequest
from channels1.inmemory import ChannelLayer
from channels1.message import Message

pytestmark = pytest.mark.django_db  # the request signals close old database connections


def http_request(layer=None, **content):
    return Message({
        "reply_channel": "http.response!abc", "http_version": "1.1", "method": "get", "path": "/app/page/",
        "query_string": b"a=1&a=2&b=%C3%A9", "headers": [], "body": b"", **content,
    }, "http.request", layer or ChannelLayer())


def test_a_request_has_the_paths_method_query_and_addresses_of_its_message():
    request = AsgiRequest(http_request(root_path="/app", client=["10.0.0.1", 5000], server=["example.com", 8080]))
    assert (request.path, request.path_info, request.script_name, request.method) == (
        "/app/page/", "/page/", "/app", "GET")
    assert request.GET.getlist("a") == ["1", "2"] and request.GET["b"] == "é"
    assert request.META["REMOTE_ADDR"] == "10.0.0.1" and request.META["REMOTE_PORT"] == 5000
    assert (request.META["SERVER_NAME"], request.META["SERVER_PORT"]) == ("example.com", "8080")
    assert request.reply_channel.name == "http.response!abc"
    assert AsgiRequest(http_request()).META["SERVER_NAME"] == "unknown"


def test_headers_become_meta_with_repeats_joined_and_cookies_parsed():
    request = AsgiRequest(http_request(headers=[
        [b"x-tag", b"one"], [b"x-tag", b"two"], [b"cookie", b"flavour=oat; size=large"],
        [b"content-type", b"text/plain; charset=latin-1"], [b"content-length", b"0"],
    ]))
    assert request.META["HTTP_X_TAG"] == "one,two"
    assert request.COOKIES == {"flavour": "oat", "size": "large"}
    assert request.content_type == "text/plain" and request.encoding == "latin-1"
    assert AsgiRequest(http_request(headers={"X-Legacy": "dict"})).META["HTTP_X_LEGACY"] == "dict"


def test_a_form_body_is_parsed_and_the_scheme_read():
    request = AsgiRequest(http_request(
        method="POST", scheme="https", body=b"name=Ada&tags=x&tags=y",
        headers=[[b"content-type", b"application/x-www-form-urlencoded"], [b"content-length", b"22"]],
    ))
    assert request.POST.getlist("tags") == ["x", "y"] and request.POST["name"] == "Ada"
    assert request.is_secure()


def test_the_body_is_completed_from_its_body_channel():
    layer = ChannelLayer()
    layer.send("http.request.body?x", {"content": b" two", "more_content": True})
    layer.send("http.request.body?x", {"content": b" three"})
    request = AsgiRequest(http_request(layer, body=b"one", body_channel="http.request.body?x"))
    assert request.body == b"one two three"


def test_a_closed_body_channel_aborts_and_a_silent_one_times_out():
    layer = ChannelLayer()
    layer.send("http.request.body?x", {"closed": True})
    with pytest.raises(RequestAborted):
        AsgiRequest(http_request(layer, body_channel="http.request.body?x"))

    class Impatient(AsgiRequest):
        body_receive_timeout = 0.1

    with pytest.raises(RequestTimeout):
        Impatient(http_request(layer, body_channel="http.request.body?y"))


def test_a_silent_body_channel_gets_408_from_the_handler():
    class Impatient(AsgiRequest):
        body_receive_timeout = 0.1

    class Handler(AsgiHandler):
        request_class = Impatient

    replies = list(Handler()(http_request(body_channel="http.request.body?z")))
    assert replies[0]["status"] == 408 and replies[-1]["more_content"] is False


def test_a_response_is_cut_into_chunks_with_its_status_headers_and_cookies():
    response = HttpResponse(b"x" * (AsgiHandler.chunk_size * 2 + 1), status=201, content_type="text/plain")
    response.set_cookie("flavour", "oat")
    replies = list(AsgiHandler.encode_response(response))
    assert [len(reply["content"]) for reply in replies] == [AsgiHandler.chunk_size, AsgiHandler.chunk_size, 1]
    assert [reply["more_content"] for reply in replies] == [True, True, False]
    assert replies[0]["status"] == 201 and "status" not in replies[1]
    headers = dict(replies[0]["headers"])
    assert headers[b"Content-Type"] == b"text/plain"
    assert headers[b"Set-Cookie"].startswith(b"flavour=oat")


def test_a_streaming_response_sends_a_message_per_chunk_then_a_closing_one():
    replies = list(AsgiHandler.encode_response(StreamingHttpResponse(iter([b"ab", b"", b"cd"]))))
    assert [reply.get("content") for reply in replies] == [b"ab", b"", b"cd", None]
    assert [reply["more_content"] for reply in replies] == [True, True, True, False]
    assert replies[0]["status"] == 200
    assert list(AsgiHandler.chunk_bytes(b"")) == [(b"", True)]
