"""Builds the Celery application from the configuration (one function, no globals).

Tasks are `shared_task`s in integration.pipeline and never import the Flask app;
they open database sessions through integration.db.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from integration.config import home_dir

TASK_MODULES = ["integration.pipeline.tasks"]


def init_celery(config: dict[str, Any]) -> Celery:
    """Build the one Celery app of this process and make it the default."""
    broker = config["CELERY_BROKER_URL"]
    if broker.startswith("sqla+sqlite"):
        home_dir().mkdir(parents=True, exist_ok=True)
    app = Celery("holisticrm", broker=broker, include=TASK_MODULES)
    app.conf.update(
        # Celery lets the CELERY_BROKER_URL variable override `broker`; naming the read
        # and write URLs makes the configuration passed here win, as everywhere else.
        broker_read_url=broker,
        broker_write_url=broker,
        task_ignore_result=True,
        task_acks_late=True,  # a task killed mid-run is delivered again
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_always_eager=config.get("CELERY_TASK_ALWAYS_EAGER", False),
        # Publishing gives up fast: the inbox row is already stored and the sweeper
        # re-enqueues it, so a slow broker must not slow the webhook answer.
        broker_connection_timeout=2,
        broker_connection_retry_on_startup=True,
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2},
        broker_transport_options=_transport_options(broker),
        beat_schedule={
            "sweep-inbox": {
                "task": "integration.pipeline.tasks.sweep_inbox",
                "schedule": config["SWEEP_INTERVAL_S"],
            },
        },
        timezone="UTC",
    )
    app.conf.holisticrm = config
    app.set_default()
    return app


def _transport_options(broker: str) -> dict[str, Any]:
    if broker.startswith("redis"):
        # With acks_late, a task not acked within this time is redelivered.
        return {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
    if broker.startswith("sqla+sqlite"):
        # kombu hands these to create_engine: wait for the file lock, don't fail.
        return {"connect_args": {"timeout": 30}}
    return {}
