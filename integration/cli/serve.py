"""`holisticrm serve`: web, worker and beat together, for one machine."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time

import click

from integration import migrate
from integration.config import home_dir, load_config
from integration.processes import spawn, terminate, web_command, worker_command


def register(main: click.Group) -> None:
    main.add_command(serve)


@click.command("serve")
@click.option("--port", type=int, help="Web port (default: $PORT or 5000).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 to accept other machines).")
@click.option("--workers", type=int, default=2, show_default=True, help="Gunicorn workers.")
@click.option("--concurrency", type=int, default=2, show_default=True, help="Celery processes.")
def serve(port: int | None, host: str, workers: int, concurrency: int) -> None:
    """Migrate the database, then run the web app, a Celery worker and beat."""
    config = load_config()
    migrate.upgrade(config["DATABASE_URL"])
    port = port or config["PORT"]
    processes = start_processes(host, port, workers, concurrency)
    click.echo(f"HolistiCrm Scoring on http://{host}:{port}  (Ctrl-C stops)")
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it is stopped
            wait_for_any(processes)
    finally:
        terminate(processes, timeout=15)


def start_processes(host: str, port: int, workers: int, concurrency: int) -> list:
    env = dict(os.environ)
    schedule = home_dir() / "celerybeat-schedule"
    return [
        spawn(web_command(port, workers, host=host), env),
        spawn(worker_command(concurrency, beat_schedule=schedule), env),
    ]


def wait_for_any(processes: list[subprocess.Popen]) -> None:
    while all(proc.poll() is None for proc in processes):
        time.sleep(0.5)
