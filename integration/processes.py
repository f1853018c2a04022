"""Command lines and life cycle of the web and worker processes.

`holisticrm serve`, `holisticrm demo`, the benchmarks and the tests all start the
same gunicorn and Celery processes; their command lines live here once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path


def web_command(port: int, workers: int, log_level: str = "info",
                host: str = "127.0.0.1", app: str = "integration.wsgi:app") -> list[str]:
    return [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}",
            "--workers", str(workers), "--log-level", log_level, app]


def worker_command(concurrency: int, name: str | None = None, log_level: str = "INFO",
                   beat_schedule: Path | None = None, extra: Sequence[str] = ()) -> list[str]:
    """A Celery worker; with `beat_schedule` it also runs beat (the sweeper)."""
    command = [sys.executable, "-m", "celery", "-A", "integration.worker", "worker",
               "--loglevel", log_level, "--concurrency", str(concurrency), *extra]
    if name:
        command += ["--hostname", f"{name}@%h"]
    if beat_schedule is not None:
        command += ["--beat", "--schedule", str(beat_schedule)]
    return command


def spawn(command: list[str], env: dict[str, str], log: Path | None = None) -> subprocess.Popen:
    """Start in a session of its own, so the whole process group can be stopped."""
    if log is None:
        return subprocess.Popen(command, env=env, start_new_session=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as handle:
        return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)


def terminate(processes: Iterable[subprocess.Popen], timeout: float = 10.0) -> None:
    """Ask each main process to stop, then SIGKILL the group of any still there.

    Only the main process gets SIGTERM: gunicorn and Celery then shut down warmly,
    finishing or handing back their work; signalling the whole group would kill the
    pool children mid-task.
    """
    processes = list(processes)
    for proc in processes:
        if proc.poll() is None:
            proc.terminate()
    for proc in processes:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the whole process group at once, as a crash would."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
