"""The Channels 1.x import paths beside channels 4 (`_channels1_imports`): channels 4
modules stay channels 4's and answer 1.x names from channels1; 1.x-only modules are
channels1's own module objects, by one rule that covers modules added later."""

import importlib
import subprocess
import sys

import pytest

import _channels1_imports
import channels1
import channels1.message


def test_channels_and_channels4_names_work_in_one_process():
    from channels import Channel, Group, channel_layers, include, route, route_class  # noqa: F401
    from channels.generic.websocket import AsyncWebsocketConsumer
    from channels.layers import InMemoryChannelLayer
    from channels.routing import ProtocolTypeRouter

    assert Group is channels1.Group and route is channels1.route
    assert AsyncWebsocketConsumer.__module__ == "channels.generic.websocket"
    assert ProtocolTypeRouter.__module__ == "channels.routing"
    assert InMemoryChannelLayer.__module__ == "channels.layers"


def test_a_module_channels4_lacks_is_the_channels1_module():
    import channels.message

    assert channels.message is channels1.message
    assert channels.message.__spec__.name == "channels1.message"


def test_a_shared_module_answers_the_1x_names_it_lacks():
    from channels.exceptions import ChannelFull, ConsumeLater, DenyConnection, RequestTimeout, ResponseLater
    from channels.routing import Router, URLRouter
    from channels.sessions import SessionMiddleware, channel_session

    import channels1.exceptions
    import channels1.routing
    import channels1.sessions

    assert ConsumeLater is channels1.exceptions.ConsumeLater
    assert DenyConnection is channels1.exceptions.DenyConnection
    assert ChannelFull.__module__ == RequestTimeout.__module__ == "channels.exceptions"
    assert ResponseLater is channels1.exceptions.ResponseLater
    assert Router is channels1.routing.Router and URLRouter.__module__ == "channels.routing"
    assert channel_session is channels1.sessions.channel_session
    assert SessionMiddleware.__module__ == "channels.sessions"


def test_submodule_names_follow_the_rule_not_the_channels1_attribute():
    import channels
    import channels1.routing  # noqa: F401  (an attribute of the channels1 package)

    from channels import routing

    assert routing.__name__ == "channels.routing"
    assert channels.routing is routing


def test_unknown_names_raise_import_errors():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("channels.no_such_module")
    with pytest.raises(ImportError):
        from channels import no_such_name  # noqa: F401


def test_the_rule_covers_modules_added_to_channels1_later(tmp_path, monkeypatch):
    package = tmp_path / "later_package"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "inner.py").write_text("VALUE = 'later'\n")
    (tmp_path / "later_module.py").write_text("VALUE = 'module'\n")
    monkeypatch.setattr(channels1, "__path__", [*channels1.__path__, str(tmp_path)])
    try:
        later = importlib.import_module("channels.later_module")
        inner = importlib.import_module("channels.later_package.inner")
        assert later is importlib.import_module("channels1.later_module") and later.VALUE == "module"
        assert inner is importlib.import_module("channels1.later_package.inner") and inner.VALUE == "later"
        from channels import later_package

        assert later_package is sys.modules["channels1.later_package"]
    finally:
        for name in list(sys.modules):
            if "later_" in name:
                del sys.modules[name]


def test_1x_app_and_runworker_are_this_projects():
    from channels.apps import ChannelsConfig
    from channels.management.commands.runworker import Command

    import channels1.apps
    import channels1.management.commands.runworker

    assert ChannelsConfig is channels1.apps.ChannelsConfig
    assert Command is channels1.management.commands.runworker.Command


def test_other_1x_distributions_map_to_this_project():
    import asgi_redis

    import channels1.layer.asgi_redis

    assert asgi_redis is channels1.layer.asgi_redis
    assert _channels1_imports.ALIASES["asgiref.inmemory"] == "channels1.inmemory"


def test_a_new_interpreter_has_the_paths_and_imports_nothing_at_start():
    out = subprocess.run(
        [sys.executable, "-c", (
            "import sys; from channels import Group; "
            "print(any(type(f).__name__ == 'LegacyImportFinder' for f in sys.meta_path), Group.__module__)"
        )],
        cwd="/", capture_output=True, text=True, check=True,
    ).stdout
    assert out.split() == ["True", "channels1.channel"]
    started = subprocess.run(
        [sys.executable, "-c", "import sys; print(sorted({'django', 'channels', 'channels1'} & set(sys.modules)))"],
        cwd="/", capture_output=True, text=True, check=True,
    ).stdout
    assert started.strip() == "[]"
