"""`holisticrm backfill`: score every contact of an installation, resumably."""

from __future__ import annotations

import click
from tqdm import tqdm

from connectors.errors import ConnectorError
from integration.cli.common import open_database
from integration.pipeline.backfill import InstallationInactive, run_backfill
from integration.tokens import NotAuthorized


def register(main: click.Group) -> None:
    main.add_command(backfill)


@click.command("backfill")
@click.option("--installation", "installation_id", type=int, required=True)
@click.option("--restart", is_flag=True, help="Start from the first contact again.")
def backfill(installation_id: int, restart: bool) -> None:
    """Score every contact and write the scores back (resumes an interrupted run)."""
    config = open_database()
    bar = tqdm(unit="contact", desc="backfill", dynamic_ncols=True)

    def progress(done: int, total: int | None) -> None:
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        summary = run_backfill(installation_id, config, progress, restart=restart)
    except (InstallationInactive, NotAuthorized) as exc:
        raise click.ClickException(str(exc)) from exc
    except ConnectorError as exc:
        raise click.ClickException(
            f"backfill interrupted ({exc.reason}); run the same command again to resume"
        ) from exc
    finally:
        bar.close()
    if summary.resumed_from:
        click.echo(f"resumed after {summary.resumed_from} contacts")
    click.echo(
        f"{summary.contacts} contacts: {summary.written} written, "
        f"{summary.unchanged} unchanged, {len(summary.failed)} failed"
    )
