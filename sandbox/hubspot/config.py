"""Settings of one sandbox run. Defaults follow HubSpot's documented values."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Scopes a public app of this product asks for; the authorize page grants what is
# asked, like an admin ticking every box.
DEFAULT_SCOPES = (
    "oauth",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.schemas.contacts.read",
    "crm.schemas.contacts.write",
)


@dataclass
class SandboxConfig:
    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"  # noqa: S105 - a well-known test value
    app_id: int = 4242
    # HubSpot's webhook settings API authenticates the developer account by hapikey.
    developer_api_key: str = "sandbox-developer-key"
    webhook_url: str | None = None
    portals: int = 1
    first_portal_id: int = 90000001
    # None means the bank marketing copy shipped in the package; "" means no contacts.
    seed: str | Path | None = None
    seed_limit: int | None = None
    # Take the seed_limit rows evenly spread over the file, not the first ones.
    seed_spread: bool = False
    preset: str = "bank"
    # HubSpot: 110 requests per rolling 10 s per installed account, search 5/s on its own.
    rate_limit: int = 110
    rate_interval_s: float = 10.0
    search_per_second: int = 5
    access_token_lifetime_s: int = 1800
    auth_code_lifetime_s: int = 600
    # Redirect URLs the app accepts, as in HubSpot's app settings; empty accepts any.
    redirect_uris: tuple[str, ...] = ()
    # Skip the consent page: /oauth/authorize redirects at once (headless tests, demo).
    auto_consent: bool = False
    # Webhook delivery: HubSpot waits 5 s, retries 10 times over about 24 h.
    webhook_timeout_s: float = 5.0
    webhook_max_retries: int = 10
    # Divides the retry delays; 86400 turns HubSpot's day of retries into about a second.
    retry_compression: float = 1.0
    webhook_max_concurrency: int = 10
    # How long events wait for companions before a batch is sent.
    webhook_batch_window_s: float = 0.2
    # HubSpot sends events only to apps installed in the account; the sandbox too,
    # unless told otherwise (tests that never run the OAuth flow).
    webhooks_need_install: bool = True
    request_log_size: int = 5000
    random_seed: int | None = None
    scopes: tuple[str, ...] = field(default=DEFAULT_SCOPES)

    @property
    def portal_ids(self) -> list[int]:
        return [self.first_portal_id + index for index in range(self.portals)]
