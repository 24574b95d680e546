"""How a PIN becomes a hash, and which payload fields are PIN material.

A PIN has 4-8 digits, so anyone holding a salt and its hash can try every PIN offline; the
only defence is making each try expensive. New hashes use **scrypt** (memory-hard: a guess
needs ``128 * n * r`` bytes of RAM, so GPUs and ASICs gain little over one core). The product
parameters are ``n = 2**16, r = 8, p = 1``: 64 MiB and 0.3-0.5 s per guess on one core of the
development machine, 3-4 times PBKDF2-SHA256 200 000 (the KDF used before, about 1/14 s) in
the same run (``python -m bench --only pins``), and unlike PBKDF2 it cannot be run thousands
at a time on a GPU. A seat needs that 64 MiB only for the moment of a check.

The parameters travel with the hash in the event (``kdf``, ``scrypt_n``, ``scrypt_r``,
``scrypt_p``; an event without ``kdf`` is PBKDF2-SHA256 with ``iterations``), so hashes made
before still verify, and ``weaker`` tells when a successful sign-in should re-hash the PIN.

``KDF`` is the one knob for the parameters of *new* hashes. Only tests lower it (see
tests/conftest.py), because a test that enrols many operators cannot afford 64 MiB and
0.25 s per hash; the product never reads it from a file or the environment.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scrypt:
    n: int
    r: int
    p: int

    @property
    def memory(self) -> int:
        """Bytes of RAM one hash needs (scrypt's ``128 * n * r``)."""
        return 128 * self.n * self.r


PRODUCT_KDF = Scrypt(n=2 ** 16, r=8, p=1)
#: the parameters of new hashes; tests may set a cheaper one, the product never does
KDF = PRODUCT_KDF
SALT_BYTES = 16
PBKDF2 = "pbkdf2_sha256"
SCRYPT = "scrypt"
#: payload keys that are PIN material: never served to a city reader (central/app.py)
PIN_FIELDS = frozenset({"salt", "pin_hash"})


def scrypt_hash(pin: str, salt: bytes, kdf: Scrypt) -> str:
    return hashlib.scrypt(pin.encode("ascii"), salt=salt, n=kdf.n, r=kdf.r, p=kdf.p,
                          maxmem=kdf.memory + (1 << 20), dklen=32).hex()


def pbkdf2_hash(pin: str, salt: bytes, iterations: int) -> str:
    return hashlib.pbkdf2_hmac("sha256", pin.encode("ascii"), salt, iterations).hex()


def new_secret(pin: str) -> dict[str, Any]:
    """The payload fields of a fresh PIN: a new random salt, its scrypt hash and parameters."""
    kdf = KDF
    salt = secrets.token_bytes(SALT_BYTES)
    return {"salt": salt.hex(), "pin_hash": scrypt_hash(pin, salt, kdf), "kdf": SCRYPT,
            "scrypt_n": kdf.n, "scrypt_r": kdf.r, "scrypt_p": kdf.p}


def _digest(pin: str, stored: dict[str, Any]) -> str:
    salt = bytes.fromhex(str(stored["salt"]))
    if stored.get("kdf") == SCRYPT:
        kdf = Scrypt(int(stored["scrypt_n"]), int(stored["scrypt_r"]), int(stored["scrypt_p"]))
        return scrypt_hash(pin, salt, kdf)
    return pbkdf2_hash(pin, salt, int(stored["iterations"]))


def matches(pin: str, stored: dict[str, Any]) -> bool:
    """Whether ``pin`` is the PIN of ``stored`` (salt, hash and parameters), in constant time."""
    if not pin or not pin.isascii() or not stored.get("pin_hash"):
        return False
    return hmac.compare_digest(_digest(pin, stored), str(stored["pin_hash"]))


def waste_a_guess() -> None:
    """As slow as checking a PIN, so timing does not tell which logins exist."""
    scrypt_hash("0000", bytes(SALT_BYTES), KDF)


def weaker(stored: dict[str, Any]) -> bool:
    """Whether a stored hash is cheaper to guess than a new one would be (re-hash it)."""
    if stored.get("kdf") != SCRYPT:
        return True
    return (int(stored["scrypt_n"]) * int(stored["scrypt_r"]) * int(stored["scrypt_p"])
            < KDF.n * KDF.r * KDF.p)


def redact(value: Any) -> Any:
    """``value`` without any PIN material, at any depth (what a city reader is served)."""
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items() if k not in PIN_FIELDS}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
