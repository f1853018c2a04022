"""`holisticrm demo`: see the product work end to end, with no CRM account and no network."""

from __future__ import annotations

import os
import shutil
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
    env = demo_environment()
    config = load_config({key: env[key] for key in ("DATABASE_URL", "CELERY_BROKER_URL")})
    demo.prepare_database(config)
    click.echo(f"Seeding the sandbox CRM with {contacts} bank-marketing contacts ...")
    sandbox = start_sandbox(contacts, sandbox_port)
    # Each run starts from a clean slate for the sandbox portal: no model, score or
    # event of an earlier demo may mix into this one.
    demo.forget_portal(sandbox.portal_ids[0])
    services = start_app_and_worker(sandbox, env, home_dir() / "demo-logs", port, concurrency)
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


def demo_environment() -> dict[str, str]:
    """The environment of the demo's processes. On the embedded defaults the demo keeps
    a database and broker of its own, new each run, apart from the operator's."""
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        place = home_dir() / "demo"
        shutil.rmtree(place, ignore_errors=True)
        place.mkdir(parents=True)
        env["DATABASE_URL"] = f"sqlite:///{place / 'holisticrm.db'}"
        if not env.get("CELERY_BROKER_URL"):
            env["CELERY_BROKER_URL"] = f"sqla+sqlite:///{place / 'broker.db'}"
    env.setdefault("CELERY_BROKER_URL", load_config()["CELERY_BROKER_URL"])
    return env


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
