"""Read what was published to the broker, to check what was enqueued."""

from __future__ import annotations

import base64
import json

from sqlalchemy import create_engine, inspect, text


def queued_tasks(broker_url: str) -> list[tuple[str, list]]:
    """(task name, args) of every message waiting in the default queue, oldest first."""
    if broker_url.startswith("redis"):
        return [_decode(raw) for raw in reversed(_redis_messages(broker_url))]
    return [_decode(raw) for raw in _sqla_messages(broker_url)]


def _redis_messages(broker_url: str) -> list[bytes]:
    import redis

    return redis.Redis.from_url(broker_url).lrange("celery", 0, -1)


def _sqla_messages(broker_url: str) -> list[str]:
    engine = create_engine(broker_url.removeprefix("sqla+"))
    try:
        if "kombu_message" not in inspect(engine).get_table_names():
            return []
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT payload FROM kombu_message WHERE visible ORDER BY id"))
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def _decode(raw) -> tuple[str, list]:
    message = json.loads(raw)
    body = json.loads(base64.b64decode(message["body"]))
    return message["headers"]["task"], list(body[0])
