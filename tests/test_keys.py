"""Secrets at rest survive a key rotation, and the old key can then be dropped."""

from __future__ import annotations

from click.testing import CliRunner

from integration.cli import main
from integration.crypto import KeyRing, SecretUnreadable, new_key
from integration.db import db
from integration.models import Installation
from tests.factories import make_installation


def test_rotation_re_encrypts_every_secret_with_the_newest_key(app, monkeypatch):
    old, new = app.config["ENCRYPTION_KEYS"][0], new_key()
    installation_id = make_installation()
    with db.transaction() as session:
        row = session.get(Installation, installation_id)
        row.access_token_enc = KeyRing([old]).encrypt("access-123")
        row.refresh_token_enc = KeyRing([old]).encrypt("refresh-456")
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("ENCRYPTION_KEYS", f"{new},{old}")
    result = CliRunner().invoke(main, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 2 secret(s)" in result.output
    with db.transaction() as session:
        row = session.get(Installation, installation_id)
        only_new = KeyRing([new])
        assert only_new.decrypt(row.access_token_enc) == "access-123"
        assert only_new.decrypt(row.refresh_token_enc) == "refresh-456"
        try:
            KeyRing([old]).decrypt(row.access_token_enc)
        except SecretUnreadable:
            pass
        else:
            raise AssertionError("the old key still decrypts a rotated secret")
