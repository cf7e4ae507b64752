"""Django app configurations: ``channels1`` for this engine, and the ``channels``
app as Channels 1.x projects list it in INSTALLED_APPS."""

from pathlib import Path

from django.apps import AppConfig


class _BindingsConnected:
    """When the app is ready, every data binding (``channels1.binding``) defined so
    far is connected to its model's signals, and those defined later as they are."""

    def ready(self):
        from .binding.base import BindingMetaclass

        BindingMetaclass.register_all()


class Channels1Config(_BindingsConnected, AppConfig):
    name = "channels1"
    verbose_name = "Channels 1.x model"
    default = True


class ChannelsConfig(_BindingsConnected, AppConfig):
    """``'channels'`` in INSTALLED_APPS (channels' own name, as 1.x projects have it):
    the channels 4 package, with this engine's commands (runworker and the others),
    static files (``channels/js/...``) and templates. Used in place of channels 4's
    app, which had none of these; list either ``'channels'`` or ``'channels1'``."""

    name = "channels"
    label = "channels"
    verbose_name = "Channels"
    path = str(Path(__file__).resolve().parent)
