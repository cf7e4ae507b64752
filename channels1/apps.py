"""Django app configuration for the channels1 engine: on ready, a user's sockets are
set to close when their login ends (user_sockets.py), and ``runserver`` is ours."""

from django.apps import AppConfig


class Channels1Config(AppConfig):
    name = "channels1"
    verbose_name = "Channels 1.x model"

    def ready(self):
        from . import user_sockets
        from .management.commands.runserver import replace_other_runservers

        user_sockets.connect_signals()
        replace_other_runservers()
