"""`holisticrm demo`: the whole product on one machine, against the sandbox CRM.

sandbox (bank marketing contacts) -> install through OAuth -> train on the portal's
history -> the sandbox changes contacts and sends webhooks -> web app -> worker ->
scores written back onto the records -> a summary.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import click
import requests
from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url
from tqdm import tqdm

from integration import migrate
from integration.db import db
from integration.models import (
    AuditLog,
    ContactState,
    Delivery,
    Installation,
    ModelVersion,
    Score,
    SyncJob,
    WebhookEvent,
)
from integration.pipeline.history import train_installation
from integration.scoring import NotEnoughLabels
from integration.scoring.registry import champion


@dataclass
class DemoOptions:
    contacts: int
    duration_s: float
    rate: float
    keep_running: bool
    port: int | None
    sandbox_port: int | None
    concurrency: int


def prepare_database(config: dict[str, Any]) -> None:
    migrate.upgrade(config["DATABASE_URL"])
    db.configure(config["DATABASE_URL"])


def forget_portal(portal_id: int) -> None:
    """Delete an earlier demo's installation of this sandbox portal and all it left."""
    with db.transaction() as session:
        installation = session.scalars(select(Installation).where(
            Installation.connector == "hubspot",
            Installation.external_account_id == str(portal_id))).one_or_none()
        if installation is None:
            return
        # Scores point at model versions: they go first.
        for model in (WebhookEvent, Score, Delivery, ContactState, SyncJob, AuditLog,
                      ModelVersion):
            session.execute(delete(model).where(model.installation_id == installation.id))
        session.delete(installation)


def install_through_oauth(app_url: str) -> None:
    """What an admin's browser does: open the install link, consent, land on success."""
    page = requests.get(f"{app_url}/install/hubspot", timeout=60)
    if page.status_code != 200 or "is connected to your HubSpot account" not in page.text:
        raise click.ClickException(f"install failed: HTTP {page.status_code}")


def installation_id(portal_id: int) -> int:
    with db.transaction() as session:
        return session.scalars(
            select(Installation.id).where(
                Installation.connector == "hubspot",
                Installation.external_account_id == str(portal_id),
            )
        ).one()


def train(installation: int, config: dict[str, Any]) -> None:
    click.echo("Training a model on the portal's own history (lifecycle stage = customer)")
    bar = tqdm(desc="pulling contacts", unit="contact", dynamic_ncols=True)

    def progress(done: int, total: int | None) -> None:
        bar.total = total or bar.total
        bar.update(done - bar.n)

    try:
        _, version = train_installation(installation, config, progress, restart=True)
        bar.close()
        click.echo(f"model v{version.version} registered as {version.status}")
    except NotEnoughLabels as exc:
        bar.close()
        click.echo(f"not enough history to train yet ({exc}); scoring with rule-based points")


def watch_scores(services, options: DemoOptions, since: datetime) -> None:
    """Run the simulation and print scores as they land on the CRM records."""
    services.sandbox.simulate(options.rate, options.duration_s)
    click.echo(
        f"\nThe sandbox now changes {options.rate:g} contacts per second for "
        f"{options.duration_s:g} s and sends webhooks; scores arriving on the records:"
    )
    seen: set[str] = set()
    deadline = time.monotonic() + options.duration_s + 15
    while time.monotonic() < deadline:
        time.sleep(2)
        crashed = services.crashed()
        if crashed:
            raise click.ClickException(f"{crashed}; see {services.log_dir}")
        for row in new_scores(since, seen):
            click.echo(
                f"  contact {row.contact_id:>8}  score {row.score:>3}  tier {row.tier}  "
                f"{row.action:<28} {'; '.join(row.reasons[:2])}"
            )
        if not run_active(services) and settled(since):
            break


def run_active(services) -> bool:
    run = services.sandbox.sandbox.simulator.run
    return run is not None and run.running


def new_scores(since: datetime, seen: set[str], limit: int = 6) -> list[Score]:
    with db.transaction() as session:
        rows = session.scalars(
            select(Score).where(Score.written_at >= since).order_by(Score.written_at.desc())
        ).all()
    fresh = [row for row in rows if row.contact_id not in seen]
    seen.update(row.contact_id for row in fresh)
    return fresh[:limit]


def settled(since: datetime) -> bool:
    with db.transaction() as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(WebhookEvent)
            .where(
                WebhookEvent.received_at >= since,
                WebhookEvent.status.in_(("pending", "processing")),
            )
        )
    return waiting == 0


def summary(services, installation: int, since: datetime) -> dict[str, Any]:
    with db.transaction() as session:
        events = dict(
            session.execute(
                select(WebhookEvent.status, func.count())
                .where(WebhookEvent.received_at >= since)
                .group_by(WebhookEvent.status)
            ).all()
        )
        scored = session.scalar(
            select(func.count()).select_from(Score).where(Score.scored_at >= since)
        )
        written = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.delivered_at >= since, Delivery.status == "delivered")
        )
        model = champion(session, installation)
        metrics = dict(model.metrics or {}) if model else {}
        version = f"v{model.version} ({model.kind})" if model else "rule-based points"
    stats = services.sandbox.stats()
    return {
        "installation": installation,
        "events": events,
        "scored": scored,
        "written": written,
        "latencies": write_back_latencies(since),
        "model": version,
        "metrics": metrics,
        "api": stats["by_endpoint"],
        "rate_limited": stats["rate_limited_total"],
        "webhooks": stats.get("webhooks", {}),
    }


def write_back_latencies(since: datetime) -> list[float]:
    """Seconds from each change in the CRM to its score written back, since `since`."""
    with db.transaction() as session:
        return [
            (row.written_at.timestamp() * 1000 - row.source_event_at) / 1000
            for row in session.scalars(
                select(Score).where(Score.written_at >= since, Score.source_event_at > 0)
            )
        ]


def sandbox_settings(services) -> dict[str, str]:
    """The app's settings that point at the sandbox, for work done in this process."""
    return {
        key: services.env[key]
        for key in (
            "HUBSPOT_API_BASE_URL",
            "HUBSPOT_AUTH_BASE_URL",
            "HUBSPOT_CLIENT_ID",
            "HUBSPOT_CLIENT_SECRET",
            "HUBSPOT_APP_ID",
            "PUBLIC_BASE_URL",
        )
    }


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def print_summary(facts: dict[str, Any], services, options: DemoOptions) -> None:
    events = facts["events"]
    p50, p95 = percentile(facts["latencies"], 0.5), percentile(facts["latencies"], 0.95)
    click.echo("\n== Summary")
    click.echo(
        f"events received     {sum(events.values())}  ("
        + ", ".join(f"{count} {status}" for status, count in sorted(events.items()))
        + "; 'ignored' are echoes of our own writes)"
    )
    click.echo(f"contacts scored     {facts['scored']}")
    click.echo(f"score writes        {facts['written']}  (a contact changed twice: two writes)")
    click.echo(
        "event -> write-back "
        + (f"p50 {p50:.2f} s, p95 {p95:.2f} s" if p50 is not None else "no webhook-driven writes")
    )
    click.echo(f"429 answers         {facts['rate_limited']}")
    click.echo("API calls by kind:")
    for endpoint, count in sorted(facts["api"].items(), key=lambda item: -item[1]):
        click.echo(f"  {count:>6}  {endpoint}")
    click.echo(f"model               {facts['model']}")
    for name in ("cv", "time_holdout"):
        block = facts["metrics"].get(name) or {}
        if block:
            figures = ", ".join(
                f"{key} {block[key]:.3f}"
                for key in ("roc_auc", "pr_auc", "brier", "ece", "lift_top_decile")
                if isinstance(block.get(key), int | float)
            )
            click.echo(f"  {name:<17} {figures}")
    click.echo("\n== Where to look next")
    click.echo(f"sandbox CRM         {services.sandbox.base_url}/_sandbox/stats")
    click.echo(f"the app             {services.app_url}/readyz")
    database = make_url(services.env["DATABASE_URL"]).render_as_string(hide_password=True)
    click.echo(f"the demo's data     DATABASE_URL={database}")
    click.echo("  then               holisticrm events list | holisticrm installations list | "
               f"holisticrm models list --installation {facts['installation']}")
    click.echo(f"logs                {services.log_dir}")
    if not options.keep_running:
        click.echo("(run with --keep-running to keep the sandbox and the app up)")


def now() -> datetime:
    return datetime.now(UTC)
