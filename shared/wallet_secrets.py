"""Wallet secrets in free text: a BIP-39 recovery phrase, or a private key (WIF, an
extended private key, or 64 hex digits that the same sentence calls a private key).

Support never needs one, and whoever reads it can empty the wallet, so the services
refuse text that holds one before anything of it is stored, logged or sent.
`find_wallet_secrets` is pure: it says which kinds it found, never where or what.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

from mnemonic import Mnemonic

RECOVERY_PHRASE = "recovery_phrase"
PRIVATE_KEY = "private_key"

MIN_PHRASE_WORDS = 12

# Languages whose words are written apart. Chinese phrases count too when their characters
# are spaced, but never a run of characters in prose: the Chinese lists are the 2048 most
# common characters.
PHRASE_LANGUAGES = ("english", "spanish", "french", "italian", "portuguese", "czech", "japanese",
                    "korean", "chinese_simplified", "chinese_traditional")

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58 = f"[{BASE58}]"
_NOT_B58 = f"(?<![{BASE58}])", f"(?![{BASE58}])"

# 51 characters after 5 (uncompressed), 52 after K or L (compressed); 9 and c on testnet.
WIF = re.compile(rf"{_NOT_B58[0]}[5KL9c]{_B58}{{50,51}}{_NOT_B58[1]}")
# xprv and its SLIP-132 kin (yprv, zprv, Yprv, Zprv) and testnet forms: 111 characters.
EXTENDED_KEY = re.compile(rf"{_NOT_B58[0]}[xyzYZtuvUV]prv{_B58}{{100,108}}{_NOT_B58[1]}")
HEX_64 = re.compile(r"(?<![0-9A-Za-z])(?:0x)?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
KEY_WORDS = re.compile(
    r"priv(?:ate)?[\s_-]*key|secret[\s_-]*key|clave[\s_-]+privada|llave[\s_-]+privada|私[鑰钥]", re.I)
# A hex labelled right before as a transaction's id is that, whatever else the sentence says.
TX_LABEL = re.compile(
    r"(?:\btx[\s_-]*(?:id|hash)?|\btxn[\s_-]*(?:id|hash)?|\btransaction[\s_-]+(?:id|hash)|\bhash"
    r"|(?:hash|id)\s+de\s+(?:la\s+)?transacci[oó]n|交易(?:哈希|ID|id|編號|编号)?|哈希)"
    r"[\s:：=#]*(?:(?:is|was|es|era|是)[\s:：]*)?$", re.I)
# Sentences end at . ! ? (and their CJK forms) or a blank line, but not after a colon:
# "Private key:" on its own line still names what follows.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|[。！？]|(?<![:：])\n[ \t]*\n")

# Words of a phrase stand apart: spaces, commas, semicolons, slashes, pipes, dashes, or a
# numbering like "1." "2)" "#3" between them.
_SEPARATORS = re.compile(r"[\s,;/|·、，；]+")
_NUMBERING = re.compile(r"^(?:#?\d{1,2}[.):\-]?)+")
_EDGE_PUNCTUATION = "\"'`()[]{}<>«»“”‘’「」『』*_:.-"
_SENTENCE_STOP = (".", "!", "?", "。", "！", "？")


def find_wallet_secrets(text: str | None) -> list[str]:
    """The kinds of wallet secret in `text` (sorted; empty when there is none)."""
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text)
    kinds = set()
    if has_recovery_phrase(text):
        kinds.add(RECOVERY_PHRASE)
    if has_wif_key(text) or EXTENDED_KEY.search(text) or has_named_hex_key(text):
        kinds.add(PRIVATE_KEY)
    return sorted(kinds)


# -- recovery phrases -------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _word_languages() -> dict[str, int]:
    """Each list word (accents folded) and a bit for each language whose list holds it."""
    words: dict[str, int] = {}
    for bit, language in enumerate(PHRASE_LANGUAGES):
        for word in Mnemonic(language).wordlist:
            key = fold(word)
            words[key] = words.get(key, 0) | (1 << bit)
    return words


def fold(word: str) -> str:
    """Lowercase without accents, as BIP-39 wallets compare words (NFKD)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def has_recovery_phrase(text: str) -> bool:
    """Twelve or more consecutive words of one BIP-39 list."""
    words = _word_languages()
    runs = [0] * len(PHRASE_LANGUAGES)
    for raw in _SEPARATORS.split(text):
        token = _NUMBERING.sub("", raw)
        if not token:
            continue  # a bare "1." between words
        ends_sentence = token.endswith(_SENTENCE_STOP) and len(token) > 1
        languages = words.get(fold(token.strip(_EDGE_PUNCTUATION + "!?。！？")), 0)
        for bit in range(len(runs)):
            runs[bit] = runs[bit] + 1 if languages >> bit & 1 else 0
            if runs[bit] >= MIN_PHRASE_WORDS:
                return True
        if ends_sentence:
            runs = [0] * len(runs)
    return False


# -- private keys ---------------------------------------------------------------------------------

def base58check_payload(candidate: str) -> bytes | None:
    """The payload of a Base58Check string whose checksum holds, else None."""
    number = 0
    for ch in candidate:
        index = BASE58.find(ch)
        if index < 0:
            return None
        number = number * 58 + index
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\x00" * (len(candidate) - len(candidate.lstrip("1"))) + raw
    if len(raw) < 5:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


def is_wif_key(candidate: str) -> bool:
    """A WIF private key: version 0x80 (0xef on testnet), 32 bytes, optionally the compression flag."""
    payload = base58check_payload(candidate)
    if payload is None or payload[0] not in (0x80, 0xEF):
        return False
    return len(payload) == 33 or (len(payload) == 34 and payload[-1] == 0x01)


def has_wif_key(text: str) -> bool:
    return any(is_wif_key(match.group()) for match in WIF.finditer(text))


def sentences(text: str) -> list[str]:
    return [part for part in SENTENCE_END.split(text) if part and part.strip()]


def has_named_hex_key(text: str) -> bool:
    """64 hex digits in a sentence that speaks of a private key, unless labelled as a transaction's id."""
    for sentence in sentences(text):
        if not KEY_WORDS.search(sentence):
            continue
        for match in HEX_64.finditer(sentence):
            if not TX_LABEL.search(sentence[max(0, match.start() - 40):match.start()]):
                return True
    return False
