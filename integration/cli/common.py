"""Small helpers the command modules share."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from integration.config import load_config
from integration.db import db


def open_database() -> dict[str, Any]:
    """Configure the database from the environment and return the configuration."""
    config = load_config()
    db.configure(config["DATABASE_URL"])
    return config


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=_default, sort_keys=True))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def echo_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    widths = {col: max([len(col)] + [len(_cell(row.get(col))) for row in rows]) for col in columns}
    click.echo("  ".join(col.ljust(widths[col]) for col in columns))
    for row in rows:
        click.echo("  ".join(_cell(row.get(col)).ljust(widths[col]) for col in columns))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)
