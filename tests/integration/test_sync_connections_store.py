"""Registered connections on the real MongoDB server: the client secret is stored encrypted only,
and reads back only with the right key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from pymongo.asynchronous.database import AsyncDatabase

from services.sync.connections import ConnectionStore
from services.sync.settings import ClientConnection
from shared.credentials import CredentialCipher, new_key
from shared.mongo import Document

pytestmark = pytest.mark.integration
SECRET = "the-client-secret-123"


async def test_a_registered_secret_is_stored_encrypted_and_decrypts_only_with_the_key(
    mongo_db: AsyncDatabase[Document],
) -> None:
    cipher = CredentialCipher(SecretStr(new_key()))
    store = ConnectionStore(mongo_db, cipher)
    connection = ClientConnection(
        client_id="tenant-1/production",
        client_name="Contoso",
        tenant="tenant-1",
        oauth_client_id="app",
        oauth_client_secret=SecretStr(SECRET),
        granted_to=("ann@firm.example",),
    )
    await store.save(connection, cipher.encrypt(SecretStr(SECRET)), datetime.now(UTC))

    raw = await mongo_db["sync_connections"].find_one({"_id": "tenant-1/production"})
    assert raw is not None
    assert SECRET not in repr(raw)
    (loaded,) = await store.load_all()
    assert loaded.oauth_client_secret.get_secret_value() == SECRET
    assert loaded.granted_to == ("ann@firm.example",)
    assert await store.granted_to("tenant-1/production") == ("ann@firm.example",)

    other_key = ConnectionStore(mongo_db, CredentialCipher(SecretStr(new_key())))
    assert await other_key.load_all() == []
