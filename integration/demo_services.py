"""The processes `holisticrm demo` runs: the sandbox CRM, the web app and a worker."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from integration.ports import free_port, wait_for_port
from integration.processes import spawn, terminate, web_command, worker_command
from sandbox.hubspot.server import SandboxServer

DEMO_CLIENT_ID = "holisticrm-demo-client"
DEMO_CLIENT_SECRET = "holisticrm-demo-secret"  # noqa: S105 - the sandbox's, not a real app's


@dataclass
class DemoServices:
    sandbox: SandboxServer
    app_url: str
    env: dict[str, str]
    log_dir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        terminate(self.processes)
        self.sandbox.stop()

    def stop_process(self, proc: subprocess.Popen) -> None:
        """Stop one process, e.g. a worker a benchmark no longer wants."""
        self.processes.remove(proc)
        terminate([proc])

    def crashed(self) -> str | None:
        for proc in self.processes:
            if proc.poll() is not None:
                return f"{proc.args[2]} exited with code {proc.returncode}"
        return None


def start_sandbox(contacts: int, port: int | None) -> SandboxServer:
    sandbox = SandboxServer(
        port=port or 0,
        seed_limit=contacts,
        # The bank rows are in time order; spreading the sample keeps the demo's
        # history as long and as varied as the full data's.
        seed_spread=True,
        auto_consent=True,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
    )
    sandbox.start()
    return sandbox


def app_environment(sandbox: SandboxServer, app_url: str, base_env: dict) -> dict[str, str]:
    """Our configuration, pointed at the sandbox as an operator would point it."""
    env = dict(base_env)
    env.update(
        HUBSPOT_API_BASE_URL=sandbox.base_url,
        HUBSPOT_AUTH_BASE_URL=sandbox.base_url,
        HUBSPOT_CLIENT_ID=DEMO_CLIENT_ID,
        HUBSPOT_CLIENT_SECRET=DEMO_CLIENT_SECRET,
        HUBSPOT_APP_ID=str(sandbox.config.app_id),
        PUBLIC_BASE_URL=app_url,
        # A demo streams a few contacts a second; waiting long for full batches of
        # 100 would only make the scores look slow to arrive.
        DEBOUNCE_S=env.get("DEBOUNCE_S", "1.0"),
        BATCH_WAIT_S=env.get("BATCH_WAIT_S", "1.0"),
        SWEEP_INTERVAL_S=env.get("SWEEP_INTERVAL_S", "10"),
        LOG_LEVEL=env.get("LOG_LEVEL", "WARNING"),
    )
    return env


def start_app_and_worker(
    sandbox: SandboxServer, base_env: dict, log_dir: Path, port: int | None, concurrency: int
) -> DemoServices:
    services = start_app(sandbox, base_env, log_dir, port)
    start_worker(services, concurrency)
    return services


def start_app(
    sandbox: SandboxServer, base_env: dict, log_dir: Path, port: int | None
) -> DemoServices:
    """The web app under gunicorn, receiving the sandbox's webhooks."""
    port = port or free_port()
    app_url = f"http://127.0.0.1:{port}"
    env = app_environment(sandbox, app_url, base_env)
    log_dir.mkdir(parents=True, exist_ok=True)
    services = DemoServices(sandbox, app_url, env, log_dir)
    web = web_command(port, workers=2, log_level="warning")
    services.processes.append(spawn(web, env, log_dir / "web.log"))
    wait_for_port(port, timeout=60)
    sandbox.set_webhook_url(f"{app_url}/webhooks/hubspot")
    return services


def start_worker(
    services: DemoServices,
    concurrency: int,
    name: str = "worker",
    beat: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """A Celery worker with the app's environment (`env` adds to it); beat runs the sweeper."""
    schedule = services.log_dir / f"{name}-celerybeat-schedule" if beat else None
    command = worker_command(concurrency, name=name, log_level="WARNING", beat_schedule=schedule)
    process = spawn(command, {**services.env, **(env or {})}, services.log_dir / f"{name}.log")
    services.processes.append(process)
    return process
