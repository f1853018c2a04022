"""The worker's Celery app: `celery -A integration.worker worker` (see Procfile)."""

from __future__ import annotations

from celery import Celery

from integration.celery_setup import init_celery
from integration.config import load_config
from integration.db import db
from integration.logs import configure_logging


def make_worker_app() -> Celery:
    config = load_config()
    configure_logging(config["LOG_LEVEL"])
    db.configure(config["DATABASE_URL"])
    return init_celery(config)


celery_app = make_worker_app()
