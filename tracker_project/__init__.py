"""Django project for the tracker app, served through the channels1 engine."""
