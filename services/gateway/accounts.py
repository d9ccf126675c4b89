"""Accountants' accounts and sessions, owned by the gateway. Passwords are argon2 hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.ids import AccountantId, accountant_id
from shared.mongo import Document


class AccountStore:
    """Accounts (`gw_accounts`) and sessions (`gw_sessions`, stored as token hashes only)."""

    def __init__(self, db: AsyncDatabase[Document], session_ttl: timedelta) -> None:
        self._accounts = db["gw_accounts"]
        self._sessions = db["gw_sessions"]
        self._hasher = PasswordHasher()
        self._ttl = session_ttl
        # Verifying unknown emails against a throwaway hash keeps both answers equally slow.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    async def create_indexes(self) -> None:
        """Expired sessions are removed by MongoDB itself."""
        await self._sessions.create_index("expires_at", expireAfterSeconds=0)

    async def ensure_account(self, email: str, password: str) -> None:
        """Create the account if it does not exist (start-up seeding); never overwrite a password."""
        account = accountant_id(email)
        hashed = self._hasher.hash(password)
        await self._accounts.update_one(
            {"_id": account}, {"$setOnInsert": {"password_hash": hashed}}, upsert=True
        )

    async def create_account(self, email: str, password: str) -> AccountantId | None:
        """A new account; None when one with this email exists already (its password is untouched)."""
        account = accountant_id(email)
        try:
            await self._accounts.insert_one({"_id": account, "password_hash": self._hasher.hash(password)})
        except DuplicateKeyError:
            return None
        return account

    async def verify_password(self, email: str, password: str) -> AccountantId | None:
        """The accountant when the password matches, else None (same answer for unknown emails)."""
        account = accountant_id(email)
        doc = await self._accounts.find_one({"_id": account})
        stored = doc["password_hash"] if doc else self._dummy_hash
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        return account if doc else None

    async def open_session(self, account: AccountantId) -> str:
        """A new random session token; only its hash is stored."""
        token = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + self._ttl
        await self._sessions.insert_one(
            {"_id": _digest(token), "accountant_id": account, "expires_at": expires}
        )
        return token

    async def session_owner(self, token: str) -> AccountantId | None:
        """The accountant a live session token belongs to."""
        doc = await self._sessions.find_one({"_id": _digest(token), "expires_at": {"$gt": datetime.now(UTC)}})
        return AccountantId(doc["accountant_id"]) if doc else None

    async def close_session(self, token: str) -> None:
        """Sign out: the token stops working at once."""
        await self._sessions.delete_one({"_id": _digest(token)})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
