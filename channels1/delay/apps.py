"""The app of the delay server. Django labels cannot hold dots, so 1.x's label
``channels.delay`` is ``channels_delay``; ``"channels.delay"`` in INSTALLED_APPS
finds this app all the same."""

from django.apps import AppConfig


class DelayConfig(AppConfig):
    name = "channels1.delay"
    label = "channels_delay"
    verbose_name = "Channels Delay Timer"
