"""The WSGI entry point for gunicorn: `gunicorn integration.wsgi:app`."""

from integration.app import create_app

app = create_app()
