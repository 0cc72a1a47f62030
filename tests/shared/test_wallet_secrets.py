"""The wallet-secret detector: recovery phrases and private keys are found; transaction
ids, prose and the shipped help articles are not."""
import re
from pathlib import Path

import pytest
from mnemonic import Mnemonic

from services.tickets.help_center.seed import CONTENT_DIR, parse_article_file
from shared.wallet_secrets import find_wallet_secrets

# BIP-39's own test vectors (entropy 00..00 and 7f..7f), and a 24-word one.
PHRASE_12 = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
PHRASE_12_B = "legal winner thank year wave sausage worth useful legal winner thank yellow"
PHRASE_24 = ("letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor "
             "acoustic avoid letter advice cage absurd amount doctor acoustic bless")
# The Bitcoin wiki's WIF examples (uncompressed and compressed) and BIP-32's first test vector.
WIF_UNCOMPRESSED = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"
WIF_COMPRESSED = "KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP98617"
XPRV = ("xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi")
HEX = "e9873d79c6d87dc0fb6a5778633389f4453213303da61f20bd67fc233aa33262"
XPUB = ("xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8")


@pytest.mark.parametrize("text", [
    PHRASE_12,
    PHRASE_12_B,
    PHRASE_24,
    PHRASE_12.upper(),
    "My seed words are: " + PHRASE_12_B + ". Please restore my wallet.",
    "legal, winner, thank, year, wave, sausage, worth, useful, legal, winner, thank, yellow",
    "legal\nwinner\nthank\nyear\nwave\nsausage\nworth\nuseful\nlegal\nwinner\nthank\nyellow",
    "1. legal 2. winner 3. thank 4. year 5. wave 6. sausage 7. worth 8. useful 9. legal 10. winner 11. thank "
    "12. yellow",
    "1)legal 2)winner 3)thank 4)year 5)wave 6)sausage 7)worth 8)useful 9)legal 10)winner 11)thank 12)yellow",
    "\"legal winner thank year wave sausage worth useful legal winner thank yellow\"",
])
def test_recovery_phrases_in_english_are_found(text):
    assert find_wallet_secrets(text) == ["recovery_phrase"]


@pytest.mark.parametrize("language", ["spanish", "french", "italian", "portuguese", "czech", "japanese",
                                      "korean", "chinese_traditional"])
def test_recovery_phrases_of_other_lists_are_found(language):
    phrase = Mnemonic(language).to_mnemonic(bytes(range(16)))
    assert find_wallet_secrets(f"Mi frase: {phrase}") == ["recovery_phrase"]


def test_eleven_words_are_not_a_phrase_and_a_break_ends_a_run():
    eleven = " ".join(PHRASE_12_B.split()[:11])
    assert find_wallet_secrets(eleven) == []
    assert find_wallet_secrets(eleven + " is what I remember") == []
    six = PHRASE_12_B.split()
    assert find_wallet_secrets(" ".join(six[:6]) + ". " + " ".join(six[6:])) == []


@pytest.mark.parametrize("text", [
    WIF_UNCOMPRESSED,
    f"here is my key {WIF_COMPRESSED} please check",
    f"Import this: {XPRV}",
    f"My private key is {HEX}",
    f"my private key is 0x{HEX}",
    f"{HEX} is my private key.",
    f"Private key:\n{HEX}",
    f"priv key = {HEX}",
    f"the secret-key {HEX}",
    f"Mi clave privada es {HEX}",
    f"我的私鑰是 {HEX}",
    f"我的私钥：{HEX}",
])
def test_private_keys_are_found(text):
    assert find_wallet_secrets(text) == ["private_key"]


@pytest.mark.parametrize("text", [
    HEX,
    f"My deposit {HEX} has not arrived.",
    f"txid: 0x{HEX}",
    f"Transaction hash 0x{HEX} shows as confirmed on the explorer.",
    f"My private key was stolen. The thief's transaction was {HEX}.",
    f"Someone used my private key; the tx hash: {HEX}",
    WIF_UNCOMPRESSED[:-1] + ("a" if WIF_UNCOMPRESSED[-1] != "a" else "b"),  # checksum broken
    "5" + "J" * 50,
    XPUB,
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    "0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
    "",
])
def test_transaction_ids_addresses_and_near_misses_pass(text):
    assert find_wallet_secrets(text) == []


def test_both_kinds_are_named_once_each():
    assert find_wallet_secrets(f"{PHRASE_12}\n\nand {WIF_COMPRESSED} and {XPRV}") == ["private_key", "recovery_phrase"]


PROSE = [
    "I made a withdrawal to my external wallet yesterday and it still shows as processing. The address is "
    "correct and the network was the same as the one on the deposit page. Can you check what happened?",
    "After the last update I cannot log in: the app says my two-factor code is wrong, although the time on my "
    "phone is right. I have my recovery codes but I do not want to use them if I can avoid it.",
    "Please close my sub account, move the balance back to the main account and remove the API keys.",
    "Hola, hice un depósito de USDT hace dos horas y todavía no aparece en mi cuenta. ¿Pueden revisarlo?",
    "我昨天從錢包提幣，但是到現在還沒有到賬，交易狀態一直顯示處理中，請幫我查一下。",
    "abandon all hope, ye who enter here; the above example has a wide range of access and ability",
]


@pytest.mark.parametrize("text", PROSE)
def test_ordinary_messages_pass(text):
    assert find_wallet_secrets(text) == []


def help_article_texts():
    for path in sorted(Path(CONTENT_DIR).rglob("*.html")):
        article = parse_article_file(path)
        body = re.sub(r"<[^>]+>", " ", article["body"])
        yield pytest.param(article["title"] + "\n\n" + body, id=f"{path.parent.name}-{path.stem}")


@pytest.mark.parametrize("text", list(help_article_texts()))
def test_the_help_articles_hold_no_secret(text):
    """A corpus of real prose in three languages, written about wallets, keys and security."""
    assert find_wallet_secrets(text) == []
