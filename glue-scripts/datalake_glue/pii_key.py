"""The key of `pii: hash` columns (twin of engine/pii-key.ts).

Silver holds HMAC-SHA256(key, value). The key is the stack's Secrets Manager secret named by
--pii_key_secret (its text, trimmed, UTF-8), read when the run starts; the plan never holds it.
The runner registers HMAC's padded keys as the relation of the plan's pii_key step and appends
the key's id to the plan fingerprint, so tables hashed under another key are rebuilt.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Tuple

_BLOCK = 64  # SHA-256's block size (RFC 2104)


def hmac_pads(key: bytes) -> Tuple[bytes, bytes]:
    """(K' xor 0x36, K' xor 0x5c), K' = the key (hashed when longer than a block) padded to a block."""
    short = hashlib.sha256(key).digest() if len(key) > _BLOCK else key
    padded = short.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


def pii_key_id(key: bytes) -> str:
    """A name for the key that reveals nothing about it."""
    return hmac.new(key, b"datalake:pii-key-id", hashlib.sha256).hexdigest()[:12]


def keyed_fingerprint(fingerprint: str, key: bytes) -> str:
    return f"{fingerprint}.{pii_key_id(key)}"


def key_from_secret(text: str, where: str) -> bytes:
    trimmed = text.strip()
    if not trimmed:
        raise ValueError(f"the PII hash key in {where} is empty")
    return trimmed.encode("utf-8")


def read_pii_key(secrets: Any, secret_id: str) -> bytes:
    """The key from Secrets Manager (or local_env.LocalSecrets, which reads a file)."""
    return key_from_secret(secrets.get_secret_value(SecretId=secret_id)["SecretString"], secret_id)


def plan_hashes_pii(plan: dict) -> bool:
    return any(step["kind"] == "pii_key" for step in plan["steps"])
