"""`holisticrm sandbox ...`: run the HubSpot look-alike and talk to a running one."""

from __future__ import annotations

import json
from typing import Any

import click
import requests

from sandbox.hubspot.config import SandboxConfig
from sandbox.hubspot.seeding import PRESETS

ADMIN_TIMEOUT_S = 30


def register(main: click.Group) -> None:
    main.add_command(sandbox)


@click.group("sandbox")
def sandbox() -> None:
    """CRM look-alikes for the demo, tests and benchmarks."""


def parse_mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, sep, name = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"expected COLUMN=property, got {pair!r}", param_hint="--map")
        mapping[column] = name
    return mapping


@sandbox.command("hubspot")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="0 picks a free port.",
)
@click.option(
    "--seed",
    "seed",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="CSV file to seed from (default: the bank marketing copy in the package).",
)
@click.option("--no-seed", is_flag=True, help="Start with no contacts.")
@click.option(
    "--limit", "seed_limit", type=click.IntRange(min=1), default=None, help="Seed at most N rows."
)
@click.option(
    "--spread",
    "seed_spread",
    is_flag=True,
    help="With --limit: take rows evenly spread over the file, not the first N.",
)
@click.option("--preset", type=click.Choice(sorted(PRESETS)), default="bank", show_default=True)
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="COLUMN=property",
    help="Override the property name of a CSV column (repeatable).",
)
@click.option("--portals", type=click.IntRange(1, 100), default=1, show_default=True)
@click.option("--client-id", default=SandboxConfig.client_id, show_default=True)
@click.option("--client-secret", default=SandboxConfig.client_secret, show_default=True)
@click.option("--app-id", type=int, default=SandboxConfig.app_id, show_default=True)
@click.option("--webhook-url", default=None, help="The app's webhook target URL.")
@click.option(
    "--webhooks-without-install",
    is_flag=True,
    help="Send webhooks for portals where the app was never installed via OAuth.",
)
@click.option(
    "--rate-limit",
    type=int,
    default=110,
    show_default=True,
    help="Requests per portal per interval.",
)
@click.option("--rate-interval", type=float, default=10.0, show_default=True, help="Seconds.")
@click.option(
    "--token-lifetime",
    type=int,
    default=1800,
    show_default=True,
    help="Access-token lifetime in seconds.",
)
@click.option(
    "--retry-compression",
    type=float,
    default=1.0,
    show_default=True,
    help="Divide webhook retry delays by this (86400: a day becomes a second).",
)
@click.option("--auto-consent", is_flag=True, help="Skip the consent page (headless use).")
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    help="Accepted OAuth redirect URL (repeatable; default: any).",
)
@click.option("--log-requests", is_flag=True, help="Print one line per HTTP request.")
def hubspot(**options: Any) -> None:
    """Serve a HubSpot look-alike until stopped (Ctrl-C)."""
    from sandbox.hubspot.server import SandboxServer

    seed = "" if options["no_seed"] else options["seed"]
    config = SandboxConfig(
        client_id=options["client_id"],
        client_secret=options["client_secret"],
        app_id=options["app_id"],
        webhook_url=options["webhook_url"],
        portals=options["portals"],
        seed=seed,
        seed_limit=options["seed_limit"],
        seed_spread=options["seed_spread"],
        preset=options["preset"],
        rate_limit=options["rate_limit"],
        rate_interval_s=options["rate_interval"],
        access_token_lifetime_s=options["token_lifetime"],
        retry_compression=options["retry_compression"],
        auto_consent=options["auto_consent"],
        redirect_uris=tuple(options["redirect_uris"]),
        webhooks_need_install=not options["webhooks_without_install"],
    )
    click.echo("Seeding..." if seed != "" else "Starting...", err=True)
    server = SandboxServer(
        config,
        host=options["host"],
        port=options["port"],
        mapping=parse_mapping(options["mapping"]),
        log_requests=options["log_requests"],
    )
    base_url = server.start()
    click.echo(f"HubSpot sandbox on {base_url}  (Ctrl-C stops)")
    click.echo(f"  authorize: {base_url}/oauth/authorize  token: {base_url}/oauth/v1/token")
    click.echo(f"  admin:     {base_url}/_sandbox/  (stats, faults, simulate)")
    click.echo(f"  app id {config.app_id}, client id {config.client_id}")
    if config.webhook_url:
        where = (
            "portals where the app is installed through OAuth"
            if config.webhooks_need_install
            else "every portal"
        )
        click.echo(f"  webhooks:  {config.webhook_url} for {where}")
    for portal_id in server.portal_ids:
        contacts = server.sandbox.seeded[portal_id]
        click.echo(
            f"  portal {portal_id}: {contacts} contacts, "
            f"private app token {server.private_tokens[portal_id]}"
        )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


def admin_call(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = requests.request(
        method, url.rstrip("/") + "/_sandbox" + path, json=body, timeout=ADMIN_TIMEOUT_S
    )
    if response.status_code >= 400:
        raise click.ClickException(f"{response.status_code}: {response.text}")
    return response.json() if response.content else None


url_option = click.option(
    "--url", default="http://127.0.0.1:8765", show_default=True, help="The sandbox's base URL."
)


@sandbox.command("stats")
@url_option
@click.option("--requests", "show_requests", type=int, default=0, help="Also show N last requests.")
def stats(url: str, show_requests: int) -> None:
    """Counters of a running sandbox, as JSON."""
    body = admin_call(url, "GET", "/stats")
    if show_requests:
        body["recentRequests"] = admin_call(url, "GET", f"/requests?limit={show_requests}")[
            "results"
        ]
    click.echo(json.dumps(body, indent=2))


@sandbox.command("simulate")
@url_option
@click.option("--rate", type=float, default=5.0, show_default=True, help="Contacts per second.")
@click.option("--duration", type=float, default=None, help="Seconds (default 30 without --count).")
@click.option("--count", type=int, default=None, help="Stop after N distinct contacts changed.")
@click.option(
    "--properties",
    "per_change",
    type=int,
    default=None,
    help="Properties changed per contact (default: 1 to 3).",
)
@click.option("--portal", "portal_ids", type=int, multiple=True, help="Portal id (repeatable).")
def simulate(
    url: str,
    rate: float,
    duration: float | None,
    count: int | None,
    per_change: int | None,
    portal_ids: tuple[int, ...],
) -> None:
    """Make a running sandbox change random contacts (and fire webhooks)."""
    if duration is None and count is None:
        duration = 30.0
    body = {
        "rate": rate,
        "duration": duration,
        "count": count,
        "propertiesPerChange": per_change,
        "portalIds": list(portal_ids) or None,
    }
    click.echo(json.dumps(admin_call(url, "POST", "/simulate", body), indent=2))


@sandbox.command("faults")
@url_option
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KNOB=VALUE",
    help="e.g. error_rate=0.2, latency_ms=300, webhook_paused=1 (repeatable).",
)
@click.option("--reset", is_flag=True, help="Turn every fault off.")
def faults(url: str, settings: tuple[str, ...], reset: bool) -> None:
    """Show or change the fault knobs of a running sandbox."""
    if reset:
        admin_call(url, "DELETE", "/faults")
    if settings:
        admin_call(
            url, "PUT", "/faults", {k: coerce(v) for k, v in parse_mapping(settings).items()}
        )
    click.echo(json.dumps(admin_call(url, "GET", "/faults"), indent=2))


def coerce(value: str) -> Any:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return float(value) if "." in value else int(value)
    except ValueError:
        return value


@sandbox.command("revoke")
@url_option
@click.argument("portal_id", type=int)
@click.option("--uninstall", is_flag=True, help="Also stop the portal's webhooks.")
def revoke(url: str, portal_id: int, uninstall: bool) -> None:
    """Revoke the app's OAuth tokens for a portal."""
    action = "uninstall" if uninstall else "revoke-tokens"
    click.echo(json.dumps(admin_call(url, "POST", f"/portals/{portal_id}/{action}", {})))
