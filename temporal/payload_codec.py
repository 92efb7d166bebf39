"""The payload codec that keeps runs' data out of Temporal in the clear (PAYLOAD_ENCRYPTION).

Every payload the client or the worker sends is replaced by one whose data is the whole
original payload (metadata and data) encrypted with the vault's current key; its metadata
says only the encoding and the key id. Search attributes and memos are not payloads that
pass through a codec: the engine keeps nothing secret in them.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from app.vault import KeyRing
from app.vault.payloads import PayloadCipher

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"


class VaultPayloadCodec(PayloadCodec):
    """Encrypts on the way to Temporal, decrypts on the way back; payloads it did not make
    (runs from before encryption was turned on) pass through unchanged."""

    def __init__(self, keys: KeyRing) -> None:
        self._cipher = PayloadCipher(keys)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encode_one(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decode_one(payload) for payload in payloads]

    def encode_one(self, payload: Payload) -> Payload:
        key_id, sealed = self._cipher.encrypt(payload.SerializeToString())
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=sealed)

    def decode_one(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode()
        original = Payload()
        original.ParseFromString(self._cipher.decrypt(key_id, payload.data))
        return original
