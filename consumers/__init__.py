"""The project's consumers, a module per socket family: Channels 1.x consumer
functions that the workers run (routed in routing.py), and the channels 4 echo
consumer that runs inside Daphne (mounted in asgi.py)."""
