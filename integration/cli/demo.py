"""`holisticrm demo`: see the product work end to end, with no CRM account and no network."""

from __future__ import annotations

import os
import time

import click

from integration import demo
from integration.config import home_dir, load_config
from integration.demo_services import start_app_and_worker, start_sandbox


def register(main: click.Group) -> None:
    main.add_command(demo_command)


@click.command("demo")
@click.option(
    "--contacts",
    type=click.IntRange(1, 41188),
    default=5000,
    show_default=True,
    help="Bank-marketing contacts to seed into the sandbox portal.",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    help="Seconds during which the sandbox changes contacts.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Contacts changed per second during the simulation.",
)
@click.option("--keep-running", is_flag=True, help="Keep sandbox, app and worker up at the end.")
@click.option("--port", type=int, help="Port of the web app (default: a free one).")
@click.option("--sandbox-port", type=int, help="Port of the sandbox CRM (default: a free one).")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 16),
    default=2,
    show_default=True,
    help="Worker processes.",
)
def demo_command(
    contacts: int,
    duration: float,
    rate: float,
    keep_running: bool,
    port: int | None,
    sandbox_port: int | None,
    concurrency: int,
) -> None:
    """Run sandbox CRM, web app and worker; install, train, stream changes, summarise."""
    options = demo.DemoOptions(
        contacts, duration, rate, keep_running, port, sandbox_port, concurrency
    )
    config = load_config()
    demo.prepare_database(config)
    click.echo(f"Seeding the sandbox CRM with {contacts} bank-marketing contacts ...")
    sandbox = start_sandbox(contacts, sandbox_port)
    services = start_app_and_worker(
        sandbox, dict(os.environ), home_dir() / "demo-logs", port, concurrency
    )
    try:
        run(services, options, config)
        if keep_running:
            click.echo("\nEverything keeps running; Ctrl-C stops it.")
            while not services.crashed():
                time.sleep(1)
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        services.stop()


def run(services, options: demo.DemoOptions, config: dict) -> None:
    click.echo(
        f"sandbox CRM  {services.sandbox.base_url}  (portal {services.sandbox.portal_ids[0]})"
    )
    click.echo(f"the app      {services.app_url}")
    click.echo("Installing the app into the portal through the OAuth flow ...")
    demo.install_through_oauth(services.app_url)
    installation = demo.installation_id(services.sandbox.portal_ids[0])
    config = {**config, **demo.sandbox_settings(services)}
    demo.train(installation, config)
    since = demo.now()
    demo.watch_scores(services, options, since)
    demo.print_summary(demo.summary(services, installation, since), services, options)
