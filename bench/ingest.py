"""Webhook intake throughput under gunicorn, against a bare Flask endpoint.

    python bench/ingest.py [--batches 300] [--concurrency 8] [--workers 2]
        [--database-url postgresql://postgres@127.0.0.1/postgres]

Posts signed batches of 100 HubSpot events to `POST /webhooks/hubspot` of the real
app and of a bare Flask app (same gunicorn settings, same client, same run), and
prints events stored per second for both and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.hubspot.signature import sign_v3  # noqa: E402
from integration import migrate  # noqa: E402
from integration.config import normalize_database_url  # noqa: E402
from integration.models import Installation, WebhookEvent  # noqa: E402
from integration.ports import free_port, wait_for_port  # noqa: E402
from integration.processes import web_command  # noqa: E402

SECRET = "bench-secret"
PORTAL = 777


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = prepare_database(args.database_url, Path(tmp))
        env = app_env(url, Path(tmp))
        bare = run_target("bare Flask", "bench.bare_app:app", env, args)
        real = run_target("holisticrm intake", "integration.wsgi:app", env, args)
        stored = count_stored(url)
        drop_database(args.database_url, url)
    print_table(args, bare, real, stored)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", help="PostgreSQL server URL (default: SQLite file)")
    return parser.parse_args()


def prepare_database(server_url: str | None, tmp: Path) -> str:
    url = new_database(server_url, tmp)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            Installation.__table__.insert().values(
                connector="hubspot",
                external_account_id=str(PORTAL),
                status="active",
                settings={},
                created_at=func.now(),
                updated_at=func.now(),
            )
        )
    engine.dispose()
    return url


def new_database(server_url: str | None, tmp: Path) -> str:
    """A migrated database of our own: a SQLite file in `tmp`, or a new PostgreSQL database."""
    if server_url is None:
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        server_url = normalize_database_url(server_url)
        name = f"holisticrm_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = server_url.rsplit("/", 1)[0] + f"/{name}"
    migrate.upgrade(url)
    return url


def drop_database(server_url: str | None, url: str) -> None:
    if server_url is None:
        return
    admin = create_engine(normalize_database_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def app_env(url: str, tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        HOLISTICRM_HOME=str(tmp / "home"),
        HUBSPOT_CLIENT_SECRET=SECRET,
        PUBLIC_BASE_URL="http://bench.local",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    # Both targets enqueue into the same kind of broker the app would use.
    env.setdefault("CELERY_BROKER_URL", f"sqla+sqlite:///{tmp / 'broker.db'}")
    return env


def run_target(label: str, wsgi: str, env: dict[str, str], args) -> dict:
    port = free_port()
    command = web_command(port, args.workers, log_level="warning", app=wsgi)
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        wait_for_port(port, timeout=30)
        return {"label": label, **post_batches(f"http://127.0.0.1:{port}", args)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def make_batch(batch: int) -> bytes:
    now = int(time.time() * 1000)
    events = [
        {
            "eventId": batch * 100 + n,
            "subscriptionId": 1,
            "portalId": PORTAL,
            "appId": 1,
            "occurredAt": now,
            "subscriptionType": "contact.propertyChange",
            "attemptNumber": 0,
            "objectId": batch * 100 + n,
            "propertyName": "campaign",
            "propertyValue": "2",
            "changeSource": "CRM_UI",
        }
        for n in range(100)
    ]
    return json.dumps(events).encode()


def post_batches(base: str, args) -> dict:
    bodies = [make_batch(n) for n in range(args.batches)]
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=args.concurrency)
    session.mount("http://", adapter)

    def post(body: bytes) -> int:
        stamp = str(int(time.time() * 1000))
        uri = "http://bench.local/webhooks/hubspot"
        headers = {
            "Content-Type": "application/json",
            "X-HubSpot-Request-Timestamp": stamp,
            "X-HubSpot-Signature-v3": sign_v3(SECRET, "POST", uri, body, stamp),
        }
        return session.post(f"{base}/webhooks/hubspot", data=body, headers=headers).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        statuses = list(pool.map(post, bodies))
    seconds = time.perf_counter() - started
    ok = sum(status == 200 for status in statuses)
    return {
        "requests": len(bodies),
        "ok": ok,
        "seconds": seconds,
        "events_per_s": ok * 100 / seconds,
    }


def count_stored(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(WebhookEvent)).scalar_one()
    engine.dispose()
    return stored


def print_table(args, bare: dict, real: dict, stored: int) -> None:
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"\nIntake benchmark: {args.batches} batches x 100 events, {args.concurrency} "
        f"client threads, gunicorn --workers {args.workers}, database {database}"
    )
    print(f"{'target':<20} {'requests':>9} {'2xx':>6} {'seconds':>8} {'events/s':>10}")
    for row in (bare, real):
        print(
            f"{row['label']:<20} {row['requests']:>9} {row['ok']:>6} {row['seconds']:>8.2f} "
            f"{row['events_per_s']:>10.0f}"
        )
    print(f"events stored in the inbox: {stored} of {real['ok'] * 100} accepted")
    print(f"ratio intake / bare: {real['events_per_s'] / bare['events_per_s']:.2f}")


if __name__ == "__main__":
    main()
