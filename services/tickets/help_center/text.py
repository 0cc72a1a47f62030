"""Language handling for the help center: locales, guessing a text's language,
turning a question into search terms, and preparing article text for the index.

English is stemmed by the databases themselves (FTS5's Porter tokenizer,
PostgreSQL's `english` configuration); a stemmer only cuts endings, so an English
question's irregular forms ("withdrew", "sent", "lost") are also searched as their
dictionary form (simplemma's lemma: "withdraw", which finds "withdrawal"). Spanish is stemmed by PostgreSQL's `spanish`
configuration, and on SQLite by the same Snowball algorithm here, since FTS5 has no
Spanish stemmer. Chinese has no spaces between words, so it is indexed and searched
as overlapping character pairs (bigrams) on both databases.
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import nh3
import Stemmer

from shared.locales import DEFAULT_LOCALE

MAX_TERMS = 32
WORD = re.compile(r"[^\W_]+")
TAG = re.compile(r"<[^>]*>")

# "es", "es-MX", "en-GB", "zh-Hant", "zh-Hant-TW", "zh-TW" (Taiwan, Hong Kong and Macau write Traditional).
LANGUAGE_TAG = re.compile(r"^(en|es|zh-hant|zh-tw|zh-hk|zh-mo)(-[a-z0-9]{2,8})*$")

EN_STOP = frozenset("""
a about above after again against all am an and any are aren as at be because been before being below between
both but by can cannot could did didn do does doesn doing don down during each few for from further get got had
has hasn have haven having he her here hers herself him himself his how i if in into is isn it its itself just
let me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those through to too
under until up very was wasn we were weren what when where which while who whom why will with won would you your
yours yourself yourselves hi hello hey please thanks thank want wanted need needs needed know tell ok okay also
still yet anyone someone something anything im ive id dont cant doesnt didnt wont isnt ago since already
ever never yesterday today much many per getting gets lot lots way
morning afternoon evening tonight night week weeks hour hours minute minutes says say said shows showing
""".split())

ES_STOP = frozenset("""
a al algo algun alguna algunas alguno algunos ante antes aqui asi aun cada como con contra cual cuales cuando
de del desde donde dos el ella ellas ello ellos en entre era eran es esa esas ese eso esos esta estaba estado
estan estar este esto estos estoy fue fueron ha han has hay haya he hola la las le les lo los mas me mi mis
mucho muy nada ni no nos nosotros o os otra otro para pero poco por porque puede pueden puedo que quien se sea
ser si sido sin sobre solo son soy su sus tambien te tengo tiene tienen todo todos tu tus un una uno unos usted
ustedes vosotros y ya yo quiero quisiera necesito saber favor gracias buenas buenos dias tardes noches hacer hago
hace hasta hacia ahora todavia luego despues ayer hoy cuanto cuanta cuantos cuantas cuales
manana semana semanas dice decia
""".split())

# Character pairs that carry no topic in a question ("how", "my", "can", "please").
ZH_STOP = frozenset("""
如何 怎麼 怎樣 什麼 為什 麼我 我的 我們 你們 您的 可以 請問 是否 一下 這個 那個 因為 所以 還是 已經 但是 應該 想要 您好 你好
謝謝 是不 不是 我要 我想 要怎 該怎 麼辦 怎么 请问 什么 为什 的話 一個 有沒 沒有 了嗎 嗎？ 的嗎 了。
""".split())

ALL_STOP = EN_STOP | ES_STOP


def fold(text: str) -> str:
    """Lower case without accents: "Depósito" and "deposito" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_locale(value: str | None) -> str | None:
    """A supported locale for `value` ("es-MX" -> "es", "zh-TW" -> "zh-Hant"), or None."""
    match = LANGUAGE_TAG.match((value or "").strip().replace("_", "-").lower())
    if match is None:
        return None
    return "zh-Hant" if match.group(1).startswith("zh") else match.group(1)


def is_cjk(char: str) -> bool:
    code = ord(char)
    return (0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF
            or 0x20000 <= code <= 0x2FA1F)


def guess_locale(text: str, default: str | None = None) -> str:
    """The language a question is written in: Chinese by its characters, Spanish or
    English by their small words; a tie keeps `default`."""
    letters = [ch for ch in text if ch.isalpha()]
    cjk = sum(1 for ch in letters if is_cjk(ch))
    if letters and cjk / len(letters) >= 0.3:
        return "zh-Hant"
    words = [fold(w) for w in WORD.findall(text)]
    spanish = sum(1 for w in words if w in ES_STOP and w not in EN_STOP) + sum(1 for ch in text if ch in "ñ¿¡")
    english = sum(1 for w in words if w in EN_STOP and w not in ES_STOP)
    if spanish > english:
        return "es"
    if english > spanish:
        return "en"
    return default if default in ("en", "es") else DEFAULT_LOCALE


@lru_cache(maxsize=1024)
def html_to_text(body: str) -> str:
    """The readable text of an article body (script and style dropped with their content)."""
    cleaned = nh3.clean(body, tags={"p", "br", "li", "h2", "h3"})
    return " ".join(html.unescape(TAG.sub(" ", cleaned)).split())


def _cjk_runs(text: str):
    """Split text into ("cjk", run) and ("word", word) pieces, in order."""
    run: list[str] = []
    for token in WORD.finditer(text):
        for char_or_word in _split_mixed(token.group()):
            if len(char_or_word) == 1 and is_cjk(char_or_word):
                run.append(char_or_word)
                continue
            if run:
                yield "cjk", "".join(run)
                run = []
            yield "word", char_or_word
        if run:
            yield "cjk", "".join(run)
            run = []


def _split_mixed(token: str) -> list[str]:
    """CJK characters one by one, other runs whole: USDT提款 -> USDT, 提, 款."""
    parts: list[str] = []
    word = ""
    for char in token:
        if is_cjk(char):
            if word:
                parts.append(word)
                word = ""
            parts.append(char)
        else:
            word += char
    if word:
        parts.append(word)
    return parts


def cjk_bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


@lru_cache(maxsize=1024)
def cjk_index_text(text: str) -> str:
    """Chinese text as index tokens: every character pair, every single character, and other words."""
    tokens: list[str] = []
    for kind, piece in _cjk_runs(text):
        if kind == "cjk":
            tokens.extend(cjk_bigrams(piece) if len(piece) > 1 else [])
            tokens.extend(piece)
        else:
            tokens.append(piece.lower())
    return " ".join(tokens)


@lru_cache(maxsize=1)
def _spanish() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("spanish")


def spanish_stem(word: str) -> str:
    return fold(_spanish().stemWord(word.lower()))


@lru_cache(maxsize=1024)
def spanish_index_text(text: str) -> str:
    """Spanish text as Snowball stems, for the SQLite index (PostgreSQL stems by itself)."""
    return " ".join(fold(stem) for stem in _spanish().stemWords(WORD.findall(text.lower())))


@lru_cache(maxsize=4096)
def english_lemma(word: str) -> str | None:
    """The dictionary form of an English word when it is not the word itself ("withdrew" ->
    "withdraw"), else None. simplemma loads its English table on the first call."""
    import simplemma  # noqa: PLC0415 - a second or two to load: only when a question is asked

    lemma = simplemma.lemmatize(word, lang="en").lower()
    return lemma if lemma != word and lemma.isalpha() else None


@dataclass(frozen=True)
class Query:
    """A question as search terms in one locale, with how much of it a match covers."""

    locale: str
    terms: tuple[str, ...]
    lemmas: tuple[tuple[str, str], ...] = ()  # (term, its dictionary form) where the two differ

    def forms(self, term: str) -> tuple[str, ...]:
        """What a term is searched as: itself, and its dictionary form if it has another."""
        return (term, *(lemma for word, lemma in self.lemmas if word == term))

    def coverage(self, matched: set[str] | frozenset[str]) -> float:
        """The share of the question an article's matched terms account for (0..1).

        For Chinese it is the share of the question's characters inside matched
        pairs, since pairs that straddle two words are not expected to match.
        """
        if not self.terms:
            return 0.0
        if self.locale != "zh-Hant":
            return len(set(self.terms) & set(matched)) / len(self.terms)
        units = _zh_units(self.terms)
        covered = _zh_units([t for t in self.terms if t in matched])
        return len(covered) / len(units) if units else 0.0


def _zh_units(terms) -> set[str]:
    units: set[str] = set()
    for term in terms:
        units.update(term if all(is_cjk(c) for c in term) else [term])
    return units


def analyze(text: str, locale: str) -> Query:
    """The search terms of a question: its meaningful words (or character pairs), deduplicated."""
    terms: list[str] = []
    if locale == "zh-Hant":
        for kind, piece in _cjk_runs(text):
            if kind == "cjk":
                terms.extend(t for t in cjk_bigrams(piece) if t not in ZH_STOP)
            elif fold(piece) not in EN_STOP and len(piece) > 1:
                terms.append(piece.lower())
    else:
        # Either language's small words: people mix them ("mi withdrawal", "como do I").
        for word in WORD.findall(text.lower()):
            if len(word) > 1 and fold(word) not in ALL_STOP:
                terms.append(word)
    unique = list(dict.fromkeys(terms))[:MAX_TERMS]
    lemmas = ()
    if locale == DEFAULT_LOCALE:
        lemmas = tuple((term, lemma) for term in unique if (lemma := english_lemma(term)) and lemma not in ALL_STOP)
    return Query(locale, tuple(unique), lemmas)

