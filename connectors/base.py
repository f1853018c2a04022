"""The interface every CRM connector offers, so the pipeline never branches on the CRM.

A connector describes a CRM (slug, scopes, limits, quirks) and makes clients; an
installation is one customer's account. A `CrmClient` talks to one installation's
account on behalf of that installation, with a token the caller provides.

Errors: every outbound method raises only the family in connectors.errors.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

# Kinds of normalized contact events.
CREATED = "created"
PROPERTY_CHANGED = "property_changed"
DELETED = "deleted"
PRIVACY_DELETED = "privacy_deleted"
MERGED = "merged"
RESTORED = "restored"
IGNORED = "ignored"  # acknowledged but not about a contact's data (e.g. associations)


@dataclass(frozen=True)
class ContactEvent:
    """One contact change, the same for every CRM."""

    kind: str
    contact_id: str
    occurred_at: int  # ms since epoch, CRM clock
    property_name: str | None = None
    property_value: str | None = None
    # For merges: the surviving contact, and the ids merged into it.
    surviving_id: str | None = None
    merged_ids: tuple[str, ...] = ()
    # True when the change is our own write coming back (never leads to a write).
    echo: bool = False


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str | None
    expires_at: datetime
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountIdentity:
    account_id: str  # HubSpot's portal (hub) id
    user: str | None
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Contact:
    id: str
    properties: Mapping[str, str | None]


@dataclass(frozen=True)
class ContactPage:
    contacts: list[Contact]
    next_cursor: str | None  # None on the last page
    total: int | None = None


@dataclass(frozen=True)
class ScoreUpdate:
    contact_id: str
    properties: Mapping[str, str]


@dataclass
class WriteResult:
    written: list[str] = field(default_factory=list)
    # contact id -> (permanent?, reason): e.g. a contact deleted meanwhile is permanent.
    failed: dict[str, tuple[bool, str]] = field(default_factory=dict)


# Roles of the fields the app writes; each connector names them in its own CRM.
SCORE_ROLES = ("score", "tier", "next_action", "reasons", "scored_at", "model_version")


@dataclass(frozen=True)
class ScoreField:
    """A property the app writes onto the contact record."""

    role: str  # one of SCORE_ROLES
    name: str
    label: str
    type: str  # number | string | enumeration | datetime
    description: str
    options: tuple[str, ...] = ()


TokenProvider = Callable[[bool], str]
"""Returns a valid access token; called with True after the CRM refused the last one."""


class CrmClient(ABC):
    """Calls to one installation's CRM account."""

    @abstractmethod
    def ensure_score_fields(self) -> list[str]:
        """Create the group and properties the app writes, if missing.

        Idempotent: returns the names created by this call (empty when all existed).
        """

    @abstractmethod
    def read_contacts(self, ids: Sequence[str], properties: Sequence[str]) -> dict[str, Contact]:
        """Read contacts by id in batches; ids that no longer exist are left out."""

    @abstractmethod
    def list_contacts(
        self, properties: Sequence[str], cursor: str | None = None, limit: int = 100
    ) -> ContactPage:
        """One page of all contacts, from `cursor` (None: the start)."""

    @abstractmethod
    def write_scores(self, updates: Sequence[ScoreUpdate]) -> WriteResult:
        """Write properties onto contacts in batches, reporting each failed record."""

    @abstractmethod
    def contact_properties(self) -> list[dict[str, Any]]:
        """The definitions of all contact properties (name, label, type...)."""


class Connector(ABC):
    """One CRM. Stateless apart from its configuration; safe to share between threads."""

    slug: ClassVar[str]
    name: ClassVar[str]
    scopes: ClassVar[tuple[str, ...]]
    score_fields: ClassVar[tuple[ScoreField, ...]]
    # Properties that must never be model features: identities (personal data that
    # says nothing about intent) and bookkeeping the CRM updates on every write,
    # ours included, which would feed the model its own output.
    non_feature_properties: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def parse_events(self, payload: Mapping[str, Any]) -> list[ContactEvent]:
        """Normalize one stored inbox payload into contact events (maybe IGNORED)."""

    @abstractmethod
    def authorize_url(self, state: str, redirect_uri: str) -> str:
        """Where to send the admin's browser to grant access."""

    @abstractmethod
    def exchange_code(self, code: str, redirect_uri: str) -> TokenSet:
        """Trade an authorization code for tokens; Permanent if the code is bad."""

    @abstractmethod
    def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens; ReauthorizationRequired if the refresh token is no longer valid."""

    @abstractmethod
    def identify(self, access_token: str) -> AccountIdentity:
        """Which account (and user, scopes) the token belongs to."""

    @abstractmethod
    def revoke(self, refresh_token: str) -> None:
        """Revoke the refresh token (on uninstall)."""

    @abstractmethod
    def client(self, account_id: str, token_provider: TokenProvider) -> CrmClient:
        """A client for one account; tokens come from `token_provider`."""

    def score_field_names(self) -> set[str]:
        return {score_field.name for score_field in self.score_fields}

    def score_field_name(self, role: str) -> str:
        """The CRM's name of the field that holds `role` (see SCORE_ROLES)."""
        for score_field in self.score_fields:
            if score_field.role == role:
                return score_field.name
        raise KeyError(f"{self.slug} has no field for {role!r}")
