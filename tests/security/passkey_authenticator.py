"""A software passkey (a platform authenticator in a few lines) that answers the server's WebAuthn
options the way a browser passes them on: the same JSON as desk/passkeys.js sends."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

USER_PRESENT, USER_VERIFIED, ATTESTED = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftPasskey:
    """One credential for ``rp_id``, made in answer to registration options."""

    rp_id: str = "localhost"
    origin: str = "http://localhost"
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    user_handle: bytes = b""
    sign_count: int = 0

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        ).encode()

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def create(self, options: dict, origin: str | None = None) -> dict:
        """The browser's answer to ``navigator.credentials.create`` with ``options``."""
        assert options["rp"]["id"] == self.rp_id
        self.user_handle = unb64url(options["user"]["id"])
        attested = bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id + self._cose_key()
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([USER_PRESENT | USER_VERIFIED | ATTESTED])
            + self.sign_count.to_bytes(4, "big")
            + attested
        )
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {"credProps": {"rk": True}},
        }

    def get(self, options: dict, origin: str | None = None, key: ec.EllipticCurvePrivateKey | None = None) -> dict:
        """The browser's answer to ``navigator.credentials.get`` with ``options``; another ``key``
        signs it wrongly."""
        assert options["rpId"] == self.rp_id
        self.sign_count += 1
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([USER_PRESENT | USER_VERIFIED])
            + self.sign_count.to_bytes(4, "big")
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = (key or self.key).sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle),
            },
            "clientExtensionResults": {},
        }
