"""The live log tail page in headless Chromium, with Daphne, workers and an RQ worker
running the tail job: the page keeps at most its cap of lines after a burst, Start
after Stop adds only the lines not on screen yet, the filter box hides lines, and
scrolled up it counts new lines instead of jumping. Screenshots go to artifacts/."""

import json

import pytest

from .browser import open_page, screenshots, wait_live
from .conftest import System

VIEWER = ("tail-viewer", "tail-secret-1")
CAP = 5000  # MAX_LINES of tailf.js


@pytest.fixture(scope="module")
def tail_system(redis_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tailf-browser")
    log_path = tmp / "app.log"
    log_path.write_text("".join(f"old {i}\n" for i in range(150)))
    running = System(redis_url, tmp, handshake_timeout=5)
    running.env["TAILF_FILES"] = json.dumps({"1": str(log_path)})
    running.log_path = log_path
    try:
        running.start(workers=2)
        running.start_rq_worker("tailf")
        running.create_user(*VIEWER, permissions=["tracker.view_logs"])
        yield running
    finally:
        running.stop()


def append(path, lines):
    with open(path, "a") as file:
        file.write("".join(line + "\n" for line in lines))


def screen(page):
    return page.locator("#log > div").all_text_contents()


def wait_for_line(page, text, timeout=20_000):
    page.wait_for_function(
        f"[...document.querySelectorAll('#log > div')].some((line) => line.textContent === {json.dumps(text)})",
        timeout=timeout)


def test_the_tail_caps_lines_does_not_repeat_them_and_filters(tail_system, chromium):
    page = open_page(chromium, tail_system, *VIEWER, "/tailf/")
    wait_live(page)
    wait_for_line(page, "old 149")
    assert screen(page) == [f"old {i}" for i in range(50, 150)]

    burst = [f"burst {i:05d} " + "x" * (300 if i % 500 == 0 else 20) for i in range(6000)]
    append(tail_system.log_path, burst)
    wait_for_line(page, burst[-1], timeout=60_000)
    assert screen(page) == burst[-CAP:]
    assert page.text_content("#line-count") == str(CAP)
    assert page.evaluate("(log => log.scrollWidth <= log.clientWidth)(document.getElementById('log'))")  # wrapped

    page.click("#stop")
    page.wait_for_function("document.getElementById('status').textContent === 'stopped'", timeout=10_000)
    append(tail_system.log_path, ["while stopped 1", "while stopped 2"])
    page.click("#start")
    wait_for_line(page, "while stopped 2")
    assert screen(page)[-3:] == [burst[-1], "while stopped 1", "while stopped 2"]
    assert len(screen(page)) == CAP and "———" not in screen(page)

    page.fill("#filter", "burst 0599")
    assert page.locator("#log > div:not(.hidden)").all_text_contents() == [
        line for line in burst[-CAP:] if "burst 0599" in line]
    page.fill("#filter", "")

    page.click("#follow")  # pause: new lines are counted, the view stays
    append(tail_system.log_path, ["after pause 1", "after pause 2", "after pause 3"])
    page.wait_for_selector("#new-lines:has-text('3 new lines')", timeout=20_000)
    screenshots(page, "tailf")
    page.click("#new-lines")
    assert page.is_hidden("#new-lines")
    assert page.errors == []
    page.close()
