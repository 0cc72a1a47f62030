"""Referral codes: eight Crockford base-32 characters that stand for one account.

A code is a keyed permutation (a four-round Feistel network over 40 bits) of the
account id, so every account has exactly one code, no two accounts share one, and
a code turns back into its account without a lookup; this is what lets an
invitee's registration be understood whatever order the events arrive in. The key
(`REFERRAL_CODE_SECRET`) keeps codes from being sequential; codes are shared in
public, so they are not secrets themselves.
"""
from __future__ import annotations

import hashlib
import hmac

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 8
BITS = 5 * LENGTH
HALF = BITS // 2
HALF_MASK = (1 << HALF) - 1
ROUNDS = 4
# What people mistype: Crockford reads these as the digits they look like.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _round(key: bytes, index: int, half: int) -> int:
    digest = hmac.new(key, bytes([index]) + half.to_bytes(3, "big"), hashlib.sha256).digest()
    return int.from_bytes(digest[:3], "big") & HALF_MASK


def _permute(value: int, key: bytes) -> int:
    left, right = value >> HALF, value & HALF_MASK
    for index in range(ROUNDS):
        left, right = right, left ^ _round(key, index, right)
    return (left << HALF) | right


def _unpermute(value: int, key: bytes) -> int:
    left, right = value >> HALF, value & HALF_MASK
    for index in reversed(range(ROUNDS)):
        left, right = right ^ _round(key, index, left), left
    return (left << HALF) | right


def code_for(user_id: int, secret: str) -> str:
    """The referral code of account `user_id`."""
    if not 0 < user_id < (1 << BITS):
        raise ValueError("account id outside the code space")
    number = _permute(user_id, secret.encode())
    return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(LENGTH)))


def user_for(code: str | None, secret: str) -> int | None:
    """The account a code stands for, or None if it is not a well-formed code."""
    if not code:
        return None
    text = code.strip().upper().translate(_READ_AS)
    if len(text) != LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    number = 0
    for ch in text:
        number = (number << 5) | ALPHABET.index(ch)
    user_id = _unpermute(number, secret.encode())
    return user_id or None
