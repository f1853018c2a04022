"""Encryption of secrets at rest (OAuth tokens, webhook secrets).

Fernet from `cryptography` (authenticated encryption) with a key ring: the first
key of ENCRYPTION_KEYS encrypts, every key decrypts, so keys rotate by putting a
new key in front and running `holisticrm keys rotate` (re-encrypts every row).
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any configured key."""


class KeyRing:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("ENCRYPTION_KEYS is empty; at least one Fernet key is needed")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except ValueError as exc:
            raise ValueError("ENCRYPTION_KEYS holds a value that is not a Fernet key") from exc

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable("no configured key decrypts this secret") from exc

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt with the newest key."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable("no configured key decrypts this secret") from exc


def new_key() -> str:
    return Fernet.generate_key().decode()
