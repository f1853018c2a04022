"""`holisticrm`: the operator's command line. Each sub-module registers its commands."""

from __future__ import annotations

import importlib

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """HolistiCrm Scoring: AI scores for CRM contacts."""


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(main)
