"""Django app configuration for the channels1 engine."""

from django.apps import AppConfig


class Channels1Config(AppConfig):
    name = "channels1"
    verbose_name = "Channels 1.x model"

    def ready(self):
        from .management.commands.runserver import replace_other_runservers

        replace_other_runservers()
