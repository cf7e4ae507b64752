"""Django Channels 1.x programming model on today's stack."""
