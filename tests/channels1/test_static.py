"""The engine's static files: the 1.x path of websocketbridge.js resolves through
Django's static finders with the engine in INSTALLED_APPS."""

from pathlib import Path

from django.contrib.staticfiles import finders

import channels1


def test_websocketbridge_js_is_found_at_its_1x_path():
    found = finders.find("channels/js/websocketbridge.js")
    engine_static = Path(channels1.__file__).resolve().parent / "static"
    assert found is not None
    assert Path(found).resolve() == engine_static / "channels" / "js" / "websocketbridge.js"
    assert "channels.WebSocketBridge = WebSocketBridge" in Path(found).read_text()
