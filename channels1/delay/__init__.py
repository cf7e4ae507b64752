"""The delay server (``channels.delay``): messages sent to ``asgi.delay`` as
``{"channel", "content", "delay"}`` (milliseconds) reach their channel when due.
Run ``manage.py rundelay``; list ``"channels.delay"`` in INSTALLED_APPS."""
