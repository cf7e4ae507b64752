"""The pages people use, in headless Chromium with real Daphne and workers: chat with
presence, a notice while the room is empty, history after a reload and your own lines
marked; the other pages at desktop and phone widths (screenshots in artifacts/, 1280
and 390 px)."""

import pytest

from .browser import open_page, screenshots, wait_live

ANN, BEN = ("chat-ann", "ann-secret-1"), ("chat-ben", "ben-secret-1")
ROOM_PATH = "/chat/ops/night%20shift/"


@pytest.fixture(scope="module")
def users(system):
    system.create_user(*ANN)
    system.create_user(*BEN, staff=True)


def lines(page):
    return page.locator("#log .line .text").all_text_contents()


def empty_log_notice(page):
    """What the chat log shows while it has no line (CSS generated text), or 'none'."""
    return page.evaluate("getComputedStyle(document.getElementById('log'), '::before').content")


def test_chat_shows_who_is_there_marks_your_lines_and_keeps_history(system, users, chromium):
    ann = open_page(chromium, system, *ANN, ROOM_PATH)
    ben = open_page(chromium, system, *BEN, ROOM_PATH)
    wait_live(ann)
    wait_live(ben)
    for page in (ann, ben):
        page.wait_for_function("document.querySelectorAll('#present li').length === 2", timeout=10_000)
    assert ann.locator("#present li").all_text_contents() == ["chat-ann (you)", "chat-ben"]
    assert empty_log_notice(ann) == '"No messages here yet."'

    for text in ["hello from the night shift", "second line", "third line"]:
        ann.fill("#message", text)
        ann.press("#message", "Enter")
    ben.wait_for_selector("#log .line:has-text('third line')", timeout=10_000)
    assert lines(ben) == ["hello from the night shift", "second line", "third line"]
    assert empty_log_notice(ben) == "none"
    assert ann.locator("#log .line.mine").count() == 3 and ben.locator("#log .line.mine").count() == 0
    assert ben.locator("#log .line time").count() == 3

    ann.fill("#message", "    ")
    ann.press("#message", "Enter")
    assert ann.get_attribute("#message", "aria-invalid") == "true"
    assert ann.is_visible("#message-hint")
    ann.fill("#message", "")
    assert ann.get_attribute("#message", "aria-invalid") is None and not ann.is_visible("#message-hint")

    ben.fill("#message", "see you")
    ben.press("#message", "Enter")
    ann.wait_for_selector("#log .line:has-text('see you')", timeout=10_000)
    screenshots(ann, "chat")

    ben.reload()
    wait_live(ben)
    ben.wait_for_selector("#log .line:has-text('see you')", timeout=10_000)
    assert lines(ben) == ["hello from the night shift", "second line", "third line", "see you"]
    assert ben.locator("#log .line.mine").count() == 1

    ben.close()
    ann.wait_for_function("document.querySelectorAll('#present li').length === 1", timeout=15_000)
    index = open_page(chromium, system, *ANN, "/chat/")
    index.wait_for_selector("#rooms li:has-text('ops/night shift'):has-text('chat-ann')")
    screenshots(index, "chat-rooms")
    assert ann.errors == [] and index.errors == []
    ann.close()
    index.close()


@pytest.mark.parametrize("path, name", [
    ("/", "home"), ("/incidents/", "incidents"), ("/areas/", "areas"), ("/alerts/", "alerts"),
    ("/incidents/new/", "incident-new"),
])
def test_pages_fit_desktop_and_phone_widths(system, users, chromium, path, name):
    page = open_page(chromium, system, *BEN, path)
    page.wait_for_selector("main h1")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{path} is {scroll_width} px wide at {width} px"
    assert page.locator("meta[name=viewport]").count() == 1
    assert page.locator("main").count() == 1
    screenshots(page, name)
    assert page.errors == []
    page.close()


def test_the_login_page_fits_a_phone(system, chromium):
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{system.http_url}/accounts/login/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("label[for=id_username]").count() == 1
    screenshots(page, "login")
    page.close()
