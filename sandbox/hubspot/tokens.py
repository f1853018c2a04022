"""OAuth codes, access and refresh tokens, and the private-app token of each portal."""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field


@dataclass
class AuthCode:
    code: str
    portal_id: int
    redirect_uri: str
    scopes: list[str]
    expires_at: float
    used: bool = False


@dataclass
class RefreshToken:
    token: str
    portal_id: int
    scopes: list[str]
    user: str
    user_id: int
    revoked: bool = False
    access_tokens: list[str] = field(default_factory=list)


@dataclass
class AccessToken:
    token: str
    portal_id: int
    scopes: list[str]
    user: str
    user_id: int
    expires_at: float | None  # None: a private-app token, which never expires
    app_id: int
    revoked: bool = False

    @property
    def private(self) -> bool:
        return self.expires_at is None

    def seconds_left(self, now: float) -> int:
        return 0 if self.expires_at is None else int(self.expires_at - now)


SANDBOX_USER = "admin@sandbox.example.com"
SANDBOX_USER_ID = 7001


def new_access_token() -> str:
    # HubSpot's access tokens are opaque strings of up to 300 characters.
    return "CO" + secrets.token_urlsafe(48)


def new_private_token() -> str:
    return f"pat-na1-{uuid.uuid4()}"


class Tokens:
    def __init__(self, app_id: int, lifetime_s: int, code_lifetime_s: int) -> None:
        self.lock = threading.Lock()
        self.app_id = app_id
        self.lifetime_s = lifetime_s
        self.code_lifetime_s = code_lifetime_s
        self.codes: dict[str, AuthCode] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.access: dict[str, AccessToken] = {}
        # Portals where the app was installed through OAuth (webhooks go only there).
        self.installed: set[int] = set()

    def add_private(self, portal_id: int, scopes: list[str]) -> str:
        token = new_private_token()
        with self.lock:
            self.access[token] = AccessToken(
                token, portal_id, scopes, SANDBOX_USER, SANDBOX_USER_ID, None, self.app_id + 1
            )
        return token

    def issue_code(self, portal_id: int, redirect_uri: str, scopes: list[str]) -> str:
        code = str(uuid.uuid4())
        expires = time.time() + self.code_lifetime_s
        with self.lock:
            self.codes[code] = AuthCode(code, portal_id, redirect_uri, scopes, expires)
        return code

    def redeem_code(self, code: str, redirect_uri: str) -> tuple[AccessToken, RefreshToken]:
        """Single use: a second exchange of the same code fails like an unknown one."""
        with self.lock:
            grant = self.codes.get(code)
            if grant is None or grant.used or grant.expires_at < time.time():
                raise KeyError("code")
            if grant.redirect_uri != redirect_uri:
                raise ValueError("redirect_uri")
            grant.used = True
            refresh = RefreshToken(
                str(uuid.uuid4()), grant.portal_id, grant.scopes, SANDBOX_USER, SANDBOX_USER_ID
            )
            self.refresh[refresh.token] = refresh
            self.installed.add(grant.portal_id)
            return self._access_for(refresh), refresh

    def refresh_access(self, token: str) -> tuple[AccessToken, RefreshToken]:
        with self.lock:
            refresh = self.refresh.get(token)
            if refresh is None or refresh.revoked:
                raise KeyError("refresh_token")
            return self._access_for(refresh), refresh

    def _access_for(self, refresh: RefreshToken) -> AccessToken:
        access = AccessToken(
            new_access_token(),
            refresh.portal_id,
            refresh.scopes,
            refresh.user,
            refresh.user_id,
            time.time() + self.lifetime_s,
            self.app_id,
        )
        self.access[access.token] = access
        refresh.access_tokens.append(access.token)
        return access

    def revoke_refresh(self, token: str) -> bool:
        with self.lock:
            refresh = self.refresh.get(token)
            if refresh is None or refresh.revoked:
                return False
            refresh.revoked = True
            for access in refresh.access_tokens:
                self.access[access].revoked = True
            return True

    def revoke_any(self, token: str) -> bool:
        """A refresh token (with its access tokens) or a single OAuth access token."""
        if self.revoke_refresh(token):
            return True
        with self.lock:
            access = self.access.get(token)
            if access is None or access.private or access.revoked:
                return False
            access.revoked = True
            return True

    def revoke_portal(self, portal_id: int, *, access: bool, refresh: bool) -> int:
        """Fault knob: invalidate a portal's OAuth tokens, as an uninstall would."""
        count = 0
        with self.lock:
            if refresh:
                for grant in self.refresh.values():
                    if grant.portal_id == portal_id and not grant.revoked:
                        grant.revoked = True
                        count += 1
            if access:
                for token in self.access.values():
                    if token.portal_id == portal_id and not token.private and not token.revoked:
                        token.revoked = True
                        count += 1
        return count

    def uninstall(self, portal_id: int) -> int:
        """Revoke every OAuth token of the portal and stop its webhooks."""
        count = self.revoke_portal(portal_id, access=True, refresh=True)
        with self.lock:
            self.installed.discard(portal_id)
        return count

    def expire_portal(self, portal_id: int) -> int:
        """Fault knob: make the portal's live access tokens expire now."""
        now = time.time()
        count = 0
        with self.lock:
            for token in self.access.values():
                if token.portal_id == portal_id and not token.private and token.expires_at > now:
                    token.expires_at = now - 1
                    count += 1
        return count
