"""What one offline PIN guess costs: scrypt (the product's KDF) beside PBKDF2-SHA256 200 000.

Issue 11 measured a 4-digit PIN falling in 335 s on one core against the PBKDF2 hashes seats
used to sync; a city reader no longer receives hashes, but a seat's database (or a stolen
backup) still holds them, so the cost of one guess is what protects the PIN. Both sides run
interleaved in this run on the same PIN and salt; the notes turn the median into the time to
try every 4-, 6- and 8-digit PIN on one core.
"""

from __future__ import annotations

from bench.core import Env, Row, fmt_ns, latency_row, median, paired
from console.duty import pins

PBKDF2_ROUNDS = 200_000
SALT = bytes(range(pins.SALT_BYTES))


def _space(ns: float, digits: int) -> str:
    seconds = ns / 1e9 * 10 ** digits
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 3:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400 / 365:.1f} years" if seconds > 86400 * 365 else f"{seconds / 86400:.0f} days"


def measure_pin_guess(env: Env) -> list[Row]:
    kdf = pins.PRODUCT_KDF

    def subject(i: int) -> None:
        pins.scrypt_hash(f"{i:04d}", SALT, kdf)

    def baseline(i: int) -> None:
        pins.pbkdf2_hash(f"{i:04d}", SALT, PBKDF2_ROUNDS)

    s, b = paired(subject, baseline, range(12), warmup=range(1))
    med, bmed = median(s), median(b)
    label = f"scrypt n=2^{kdf.n.bit_length() - 1} r={kdf.r} p={kdf.p}"
    return [latency_row(
        f"pin: one guess, {label}", s, b, base_label=f"PBKDF2-SHA256 {PBKDF2_ROUNDS:,}",
        notes=[f"pin: {label} needs {kdf.memory >> 20} MiB per guess; one guess {fmt_ns(med)} against"
               f" {fmt_ns(bmed)} for PBKDF2-SHA256 {PBKDF2_ROUNDS:,} (the KDF before issue 11). Every PIN"
               f" on one core: 4 digits {_space(med, 4)} (PBKDF2 {_space(bmed, 4)}), 6 digits"
               f" {_space(med, 6)}, 8 digits {_space(med, 8)}. No target: informative (the product"
               " parameters are console/duty/pins.py PRODUCT_KDF)."],
    )]
