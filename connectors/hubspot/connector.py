"""The HubSpot connector: the connector interface over HubSpot's APIs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from connectors.base import (
    AccountIdentity,
    Connector,
    Contact,
    ContactEvent,
    ContactPage,
    CrmClient,
    ScoreUpdate,
    TokenProvider,
    TokenSet,
    WriteResult,
)
from connectors.errors import NotConfigured
from connectors.hubspot import contacts, events, oauth, properties, quirks
from connectors.hubspot.client import HubSpotHttp, RetryPolicy
from connectors.ratelimit import AccountRateLimiter


@dataclass(frozen=True)
class HubSpotSettings:
    client_id: str | None
    client_secret: str | None
    app_id: str | None
    api_base: str
    auth_base: str
    rate_limit: str = quirks.RATE_LIMIT
    redis_url: str | None = None
    retry_time_scale: float = 1.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> HubSpotSettings:
        return cls(
            client_id=config.get("HUBSPOT_CLIENT_ID"),
            client_secret=config.get("HUBSPOT_CLIENT_SECRET"),
            app_id=config.get("HUBSPOT_APP_ID"),
            api_base=config["HUBSPOT_API_BASE_URL"],
            auth_base=config["HUBSPOT_AUTH_BASE_URL"],
            rate_limit=config.get("HUBSPOT_RATE_LIMIT") or quirks.RATE_LIMIT,
            redis_url=config.get("RATE_LIMIT_REDIS_URL"),
            retry_time_scale=float(config.get("HUBSPOT_RETRY_TIME_SCALE", 1.0)),
        )


class HubSpotClient(CrmClient):
    def __init__(self, http: HubSpotHttp) -> None:
        self.http = http

    def ensure_score_fields(self) -> list[str]:
        return properties.ensure_score_fields(self.http)

    def read_contacts(self, ids: Sequence[str], properties: Sequence[str]) -> dict[str, Contact]:
        return contacts.read_contacts(self.http, ids, properties)

    def list_contacts(
        self, properties: Sequence[str], cursor: str | None = None, limit: int = 100
    ) -> ContactPage:
        return contacts.list_contacts(self.http, properties, cursor, limit)

    def write_scores(self, updates: Sequence[ScoreUpdate]) -> WriteResult:
        return contacts.write_scores(self.http, updates)

    def contact_properties(self) -> list[dict[str, Any]]:
        return properties.contact_properties(self.http)


class HubSpotConnector(Connector):
    slug = quirks.SLUG
    name = "HubSpot"
    scopes = quirks.SCOPES
    score_fields = quirks.SCORE_FIELDS
    non_feature_properties = quirks.NON_FEATURE_PROPERTIES

    def __init__(self, settings: HubSpotSettings, policy: RetryPolicy | None = None) -> None:
        self.settings = settings
        if policy is None and settings.retry_time_scale != 1.0:
            policy = RetryPolicy(time_scale=settings.retry_time_scale)
        self.policy = policy
        self.limiter = AccountRateLimiter(settings.rate_limit, settings.redis_url, "hubspot")
        self.session = requests.Session()

    def parse_events(self, payload: Mapping[str, Any]) -> list[ContactEvent]:
        return [events.parse_event(payload)]

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        return oauth.authorize_url(
            self.settings.auth_base, self._required("client_id"), self.scopes, state, redirect_uri
        )

    def exchange_code(self, code: str, redirect_uri: str) -> TokenSet:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            **self._client_credentials(),
        }
        return oauth.token_request(self.settings.api_base, form, self.session)

    def refresh(self, refresh_token: str) -> TokenSet:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            **self._client_credentials(),
        }
        return oauth.token_request(self.settings.api_base, form, self.session)

    def identify(self, access_token: str) -> AccountIdentity:
        return oauth.token_info(self.settings.api_base, access_token, self.session)

    def revoke(self, refresh_token: str) -> None:
        oauth.revoke(self.settings.api_base, refresh_token, self.session)

    def client(self, account_id: str, token_provider: TokenProvider) -> HubSpotClient:
        http = HubSpotHttp(
            self.settings.api_base,
            account_id,
            token_provider,
            self.limiter,
            session=requests.Session(),
            policy=self.policy,
        )
        return HubSpotClient(http)

    def _client_credentials(self) -> dict[str, str]:
        return {
            "client_id": self._required("client_id"),
            "client_secret": self._required("client_secret"),
        }

    def _required(self, name: str) -> str:
        value = getattr(self.settings, name)
        if not value:
            raise NotConfigured(f"HUBSPOT_{name.upper()} is not configured")
        return value
