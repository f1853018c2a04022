"""`holisticrm`: the operator's command line. Each sub-module registers its commands."""

from __future__ import annotations

import importlib
import os

import click

# Each module has `register(group)`; keeping the list here makes the CLI's shape
# visible in one place.
COMMAND_MODULES = [
    "integration.cli.db",
    "integration.cli.installations",
    "integration.cli.events",
    "integration.cli.serve",
    "integration.cli.jobs",
    "integration.cli.demo",
    "integration.cli.keys",
    "integration.cli.scoring",
    "sandbox.cli",
]


class FriendlyGroup(click.Group):
    """Turns errors from below the CLI into one clear line instead of a traceback.

    HOLISTICRM_DEBUG=1 shows the traceback for a bug report.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("HOLISTICRM_DEBUG"):
                raise
            raise click.ClickException(describe_error(exc)) from exc


def describe_error(exc: Exception) -> str:
    """One line an operator can act on; the first line of the message, no traceback."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    hint = HINTS.get(type(exc).__module__.split(".")[0], "")
    return f"{type(exc).__name__}: {message}{hint}"


# Where to look, by the library the error came from.
HINTS = {
    "sqlalchemy": " (check DATABASE_URL and that the database is running and migrated)",
    "psycopg": " (check DATABASE_URL and that PostgreSQL is running)",
    "requests": " (is the server at that address running?)",
    "kombu": " (check CELERY_BROKER_URL and that the broker is running)",
    "redis": " (check the Redis URL and that Redis is running)",
}


@click.group(cls=FriendlyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """HolistiCrm Scoring: AI scores for CRM contacts."""


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(main)
