"""Credentials of subscriptions at rest: a webhook's signing secret must be read back to sign
every delivery, so it is encrypted (Fernet: AES-128-CBC with an HMAC), not hashed. The key is a
setting shared by every replica, or, for one machine, a file created on first use."""

from __future__ import annotations

import base64
import logging
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from awareness.settings import DeliverySettings

log = logging.getLogger(__name__)
SECRET_PREFIX = "whsec_"


class SecretsUnreadable(Exception):
    """A stored credential that the configured key cannot decrypt: the key was changed."""


def new_webhook_secret() -> str:
    """24 random bytes, base64, with the prefix Standard Webhooks receivers expect."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


class Vault:
    def __init__(self, settings: DeliverySettings) -> None:
        self._settings = settings
        self._fernet: Fernet | None = None

    def _key(self) -> Fernet:
        if self._fernet is None:
            given = self._settings.secrets_key
            key = given.get_secret_value().encode() if given else self._key_file()
            self._fernet = Fernet(key)
        return self._fernet

    def _key_file(self) -> bytes:
        path = Path(self._settings.secrets_key_file)
        if not path.exists():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as out:
                    out.write(Fernet.generate_key())
                log.warning(
                    "created the key that encrypts subscription secrets; back it up with the "
                    "database, and give every replica the same (AWARENESS_DELIVERY__SECRETS_KEY)",
                    extra={"path": str(path.resolve())},
                )
        return path.read_bytes().strip()

    def seal(self, plain: str) -> str:
        return self._key().encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._key().decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SecretsUnreadable(
                "a subscription's secret cannot be decrypted with the configured key "
                "(AWARENESS_DELIVERY__SECRETS_KEY or delivery.secrets_key_file changed?)"
            ) from None
