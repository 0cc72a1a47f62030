"""The live chat's automated helper: it answers with the passage of the best help article,
asks which one is meant when two answer about as well, offers quick replies (an agent, other
articles), says so when it finds nothing, and knows when a person asks for an agent."""
from __future__ import annotations

from dataclasses import dataclass, field

from services.tickets.help_center import articles as help_articles
from services.tickets.help_center import passages
from services.tickets.help_center.text import analyze, fold

# An answer is good when the best article matches at least half of the question's
# meaningful words (for Chinese, half of its characters); weaker articles are still
# linked beside a good one when they match a third.
GOOD_COVERAGE = 0.5
LINKED_COVERAGE = 0.34
MAX_LINKS = 3
# Two candidates this close (the second scoring at least this share of the first, both good)
# are two plausible answers: the helper asks which one the person means.
CLOSE_SCORE = 0.8
MORE_ARTICLES = 2  # offered as quick replies beside an answer

# Help center categories -> the ticket category of a chat handed over about them.
TICKET_CATEGORY = {
    "account_security": "account_security",
    "deposits_withdrawals": "deposit_withdrawal",
    "fees_limits": "trading_fees_limits",
    "wallet": "wallet",
    "troubleshooting": "other",
    "video_verification": "video_verification",
    "referral_program": "referral_rewards",
}

AGENT_PHRASES = tuple(fold(p) for p in (
    "talk to an agent", "talk to agent", "speak to an agent", "speak with an agent", "talk to a human",
    "speak to a human", "talk to a person", "real person", "live agent", "human agent", "customer service agent",
    "connect me to support", "hablar con un agente", "hablar con una persona", "hablar con alguien",
    "hablar con un humano", "agente humano", "persona real", "un asesor",
    "真人客服", "人工客服", "轉接客服", "轉真人", "找客服", "客服人員", "真人服務",
))

TEXTS = {
    "en": {
        "name": "Help assistant",
        "follow_up": "Did this answer your question? If not, tell me more, or write \u201ctalk to an agent\u201d.",
        "clarify": "Which of these is closer to your question: \u201c{first}\u201d or \u201c{second}\u201d?",
        "agent": "Talk to an agent",
        "miss": "I couldn't find an article that answers this. Could you describe it in other words, for "
                "example what you were doing and what went wrong? You can also ask to talk to an agent.",
        "handover": "I'm connecting you with a support agent. This conversation is now ticket {number}; an agent "
                    "will answer here, and you keep the ticket afterwards.",
        "handover_missed": "I couldn't find an answer, so I'm connecting you with a support agent. This "
                           "conversation is now ticket {number}; an agent will answer here, and you keep the "
                           "ticket afterwards.",
    },
    "es": {
        "name": "Asistente de ayuda",
        "follow_up": "¿Respondió esto a tu pregunta? Si no, cuéntame más o escribe \u201chablar con un agente\u201d.",
        "clarify": "¿Cuál se parece más a tu pregunta: \u201c{first}\u201d o \u201c{second}\u201d?",
        "agent": "Hablar con un agente",
        "miss": "No encontré un artículo que responda esto. ¿Puedes describirlo con otras palabras, por ejemplo "
                "qué estabas haciendo y qué salió mal? También puedes pedir hablar con un agente.",
        "handover": "Te estoy comunicando con un agente de soporte. Esta conversación ahora es el ticket {number}; "
                    "un agente te responderá aquí y conservarás el ticket después.",
        "handover_missed": "No encontré una respuesta, así que te estoy comunicando con un agente de soporte. Esta "
                           "conversación ahora es el ticket {number}; un agente te responderá aquí y conservarás "
                           "el ticket después.",
    },
    "zh-Hant": {
        "name": "智慧助理",
        "follow_up": "這有解答您的問題嗎？如果沒有，請告訴我更多細節，或輸入「真人客服」。",
        "clarify": "您的問題比較接近哪一個：「{first}」還是「{second}」？",
        "agent": "真人客服",
        "miss": "我找不到能解答這個問題的文章。可以換個方式描述嗎？例如您當時在做什麼、出現了什麼問題。您也可以要求轉接真人客服。",
        "handover": "正在為您轉接客服人員。這段對話已成為工單 {number}；客服會在這裡回覆您，之後您也能繼續查看這張工單。",
        "handover_missed": "我找不到答案，正在為您轉接客服人員。這段對話已成為工單 {number}；客服會在這裡回覆您，之後您也能繼續查看這張工單。",
    },
}


@dataclass(frozen=True)
class Answer:
    body: str
    articles: list[dict]  # [{slug, title}]: the article quoted, or the two a clarifying question offers
    passage: str | None = None  # the quoted part of the best article (`answer` in the API)
    article: dict | None = None  # {slug, title} of the article quoted
    quick_replies: list[dict] = field(default_factory=list)  # [{label, message, kind, slug?}]

    @property
    def answered(self) -> bool:
        return bool(self.articles)


def text(locale: str, key: str, **values) -> str:
    return TEXTS.get(locale, TEXTS["en"])[key].format(**values)


def wants_agent(message: str) -> bool:
    folded = " ".join(fold(message).split())
    return any(phrase in folded for phrase in AGENT_PHRASES)


def link(found: help_articles.Found) -> dict:
    return {"slug": found.article.slug, "title": found.translation.title}


def agent_reply(locale: str) -> dict:
    """The quick reply that hands the chat over: its message is a phrase `wants_agent` knows."""
    label = text(locale, "agent")
    return {"label": label, "message": label, "kind": "agent"}


def article_reply(found: help_articles.Found) -> dict:
    """A quick reply naming an article: sent, its title brings that article's answer."""
    return {"label": found.translation.title, "message": found.translation.title, "kind": "article",
            "slug": found.article.slug}


def answer(message: str, locale: str) -> Answer:
    """The helper's reply to `message`: the passage of the best article that answers it, a
    question when two articles answer it about as well, or a request to rephrase."""
    found = help_articles.search(message, locale)
    chosen = help_articles.titled(message, locale)
    if chosen is None:
        if not found or found[0].coverage < GOOD_COVERAGE:
            return Answer(text(locale, "miss"), [], quick_replies=[agent_reply(locale)])
        chosen = found[0]
        runner_up = next((f for f in found[1:MAX_LINKS] if f.coverage >= GOOD_COVERAGE), None)
        if runner_up is not None and runner_up.score >= CLOSE_SCORE * chosen.score:
            return Answer(text(locale, "clarify", first=chosen.translation.title,
                               second=runner_up.translation.title), [link(chosen), link(runner_up)],
                          quick_replies=[article_reply(chosen), article_reply(runner_up), agent_reply(locale)])
    others = [f for f in found if f.article.id != chosen.article.id and f.coverage >= LINKED_COVERAGE]
    quoted = passages.passage(chosen.translation.body, analyze(message, chosen.translation.locale),
                              chosen.translation.title)
    body = "\n\n".join(part for part in (quoted, text(locale, "follow_up")) if part)
    return Answer(body, [link(chosen)], quoted or None, link(chosen),
                  [agent_reply(locale)] + [article_reply(f) for f in others[:MORE_ARTICLES]])
