"""`holisticrm serve`: web, worker and beat together, for one machine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click

from integration import migrate
from integration.config import load_config


def register(main: click.Group) -> None:
    main.add_command(serve)


@click.command("serve")
@click.option("--port", type=int, help="Web port (default: $PORT or 5000).")
@click.option("--workers", type=int, default=2, show_default=True, help="Gunicorn workers.")
@click.option("--concurrency", type=int, default=2, show_default=True, help="Celery processes.")
def serve(port: int | None, workers: int, concurrency: int) -> None:
    """Migrate the database, then run the web app, a Celery worker and beat."""
    config = load_config()
    migrate.upgrade(config["DATABASE_URL"])
    port = port or config["PORT"]
    processes = start_processes(port, workers, concurrency)
    click.echo(f"HolistiCrm Scoring on http://127.0.0.1:{port}  (Ctrl-C stops)")
    try:
        wait_for_any(processes)
    except KeyboardInterrupt:
        pass
    finally:
        stop_processes(processes)


def start_processes(port: int, workers: int, concurrency: int) -> list[subprocess.Popen]:
    web = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "integration.wsgi:app",
    ]
    worker = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "integration.worker",
        "worker",
        "--beat",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "INFO",
    ]
    env = dict(os.environ)
    return [subprocess.Popen(cmd, env=env) for cmd in (web, worker)]


def wait_for_any(processes: list[subprocess.Popen]) -> None:
    while all(proc.poll() is None for proc in processes):
        time.sleep(0.5)


def stop_processes(processes: list[subprocess.Popen]) -> None:
    for proc in processes:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in processes:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
