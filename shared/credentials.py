"""Client credentials encrypted with Fernet (AES-128-CBC + HMAC), keyed by HUB_CREDENTIALS_KEY.

The gateway encrypts a client secret the moment it arrives, so it crosses Kafka encrypted; sync,
which alone uses it, keeps it encrypted at rest and decrypts it only to ask for a token.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr


class CredentialsError(ValueError):
    """The ciphertext was not made with this key (or was altered)."""


class CredentialCipher:
    """Encrypts and decrypts secrets with one Fernet key."""

    def __init__(self, key: SecretStr) -> None:
        try:
            self._fernet = Fernet(key.get_secret_value().encode())
        except ValueError as error:
            raise CredentialsError(
                "HUB_CREDENTIALS_KEY is not a Fernet key (32 url-safe base64 bytes)"
            ) from error

    def encrypt(self, secret: SecretStr) -> str:
        """The secret as a Fernet token."""
        return self._fernet.encrypt(secret.get_secret_value().encode()).decode()

    def decrypt(self, token: str) -> SecretStr:
        """The secret inside a Fernet token; CredentialsError when it was not made with this key."""
        try:
            return SecretStr(self._fernet.decrypt(token.encode()).decode())
        except InvalidToken as error:
            raise CredentialsError("credentials were encrypted with another key") from error


def new_key() -> str:
    """A fresh Fernet key (for local runs and tests)."""
    return Fernet.generate_key().decode()
