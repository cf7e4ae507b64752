"""Logging out in one tab of headless Chromium ends the live chat in another tab: its
socket is closed with 4410 and the page offers to log in again instead of reconnecting."""

from .accounts import Browser

PASSWORD = "emma-secret-1"


def test_logging_out_in_one_tab_signs_the_chat_out_in_another(system, chromium):
    system.create_user("emma", PASSWORD)
    someone_else = Browser(system).login_as_new_user("fred", "fred-secret-1")
    context = chromium.new_context()
    errors = []
    chat = context.new_page()
    chat.on("pageerror", lambda error: errors.append(str(error)))
    chat.goto(f"{system.http_url}/accounts/login/?next=/chat/lobby/")
    chat.fill("input[name=username]", "emma")
    chat.fill("input[name=password]", PASSWORD)
    chat.click("form [type=submit]")
    chat.wait_for_url("**/chat/lobby/")
    chat.wait_for_function("document.getElementById('status').textContent === 'live'", timeout=10_000)

    other_tab = context.new_page()
    other_tab.goto(f"{system.http_url}/")
    other_tab.click("form[action='/accounts/logout/'] button")
    other_tab.wait_for_url("**/accounts/login/")

    chat.wait_for_selector("#status:has-text('signed out') a", timeout=10_000)
    assert "/accounts/login/?next=" in chat.get_attribute("#status a", "href")
    assert someone_else.token()  # another user's login is untouched
    assert errors == []
    context.close()
