"""A real Celery worker process for pipeline tests, configured like the app under test."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from integration.processes import kill, spawn, terminate, worker_command

ROOT = Path(__file__).resolve().parent.parent


def env_for(config: dict, home: Path) -> dict[str, str]:
    """The environment that gives a worker the same configuration as `config`."""
    env = dict(os.environ)
    for key, value in config.items():
        if value is None:
            env.pop(key, None)
        elif isinstance(value, list | tuple):
            env[key] = ",".join(str(item) for item in value)
        elif isinstance(value, str | int | float):
            env[key] = str(value)
    env["HOLISTICRM_HOME"] = str(home)
    env["PYTHONPATH"] = str(ROOT)
    return env


class Worker:
    def __init__(
        self,
        config: dict,
        home: Path,
        concurrency: int = 1,
        name: str = "w1",
        beat: bool = False,
    ) -> None:
        self.env = env_for(config, home)
        self.concurrency = concurrency
        self.name = name
        self.home = home
        self.beat = beat  # also run the beat scheduler (the sweeper) in this process
        self.log = home / f"worker-{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        schedule = self.home / f"beat-schedule-{self.name}" if self.beat else None
        # No gossip, mingle or heartbeat: a lone test worker starts faster without them.
        command = worker_command(
            self.concurrency, name=self.name, beat_schedule=schedule,
            extra=("--pool", "prefork", "--without-gossip", "--without-mingle",
                   "--without-heartbeat"),
        )
        self.process = spawn(command, self.env, self.log)
        return self

    def stop(self) -> None:
        if self.process is not None:
            terminate([self.process], timeout=5)
        self.process = None

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and its children), as a crash would."""
        if self.process is not None:
            kill(self.process)
        self.process = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def wait_until(
    condition: Callable[[], bool],
    timeout: float,
    interval: float = 0.25,
    message: str = "condition",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
