"""Django app configurations: ``channels1`` for this engine, and the ``channels``
app as Channels 1.x projects list it in INSTALLED_APPS. Either one, once ready,
connects every data binding to its model's signals (and those defined later as they
are), sets a user's sockets to close when their login ends (user_sockets.py) and
makes ``runserver`` this engine's."""

from pathlib import Path

from django.apps import AppConfig


def _ready():
    from . import user_sockets
    from .binding.base import BindingMetaclass
    from .management.commands.runserver import replace_other_runservers

    BindingMetaclass.register_all()
    user_sockets.connect_signals()
    replace_other_runservers()


class Channels1Config(AppConfig):
    name = "channels1"
    verbose_name = "Channels 1.x model"
    default = True

    def ready(self):
        _ready()


class ChannelsConfig(AppConfig):
    """``'channels'`` in INSTALLED_APPS (channels' own name, as 1.x projects have it):
    the channels 4 package, with this engine's commands (runworker and the others),
    static files (``channels/js/...``) and templates. Used in place of channels 4's
    app, which had none of these; list either ``'channels'`` or ``'channels1'``."""

    name = "channels"
    label = "channels"
    verbose_name = "Channels"
    path = str(Path(__file__).resolve().parent)

    def ready(self):
        _ready()
