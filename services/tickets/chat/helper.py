"""The live chat's automated helper: it answers from the best-ranked help articles,
says so when it finds nothing, and knows when a person asks for an agent."""
from __future__ import annotations

from dataclasses import dataclass

from services.tickets.help_center import articles as help_articles
from services.tickets.help_center.text import fold

# An answer is good when the best article matches at least half of the question's
# meaningful words (for Chinese, half of its characters); weaker articles are still
# linked beside a good one when they match a third.
GOOD_COVERAGE = 0.5
LINKED_COVERAGE = 0.34
MAX_LINKS = 3

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
        "found": "Here is what I found in the help center:",
        "follow_up": "Did this answer your question? If not, tell me more, or write \u201ctalk to an agent\u201d.",
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
        "found": "Esto es lo que encontré en el centro de ayuda:",
        "follow_up": "¿Respondió esto a tu pregunta? Si no, cuéntame más o escribe \u201chablar con un agente\u201d.",
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
        "found": "我在幫助中心找到以下文章：",
        "follow_up": "這有解答您的問題嗎？如果沒有，請告訴我更多細節，或輸入「真人客服」。",
        "miss": "我找不到能解答這個問題的文章。可以換個方式描述嗎？例如您當時在做什麼、出現了什麼問題。您也可以要求轉接真人客服。",
        "handover": "正在為您轉接客服人員。這段對話已成為工單 {number}；客服會在這裡回覆您，之後您也能繼續查看這張工單。",
        "handover_missed": "我找不到答案，正在為您轉接客服人員。這段對話已成為工單 {number}；客服會在這裡回覆您，之後您也能繼續查看這張工單。",
    },
}


@dataclass(frozen=True)
class Answer:
    body: str
    articles: list[dict]  # [{slug, title}]

    @property
    def answered(self) -> bool:
        return bool(self.articles)


def text(locale: str, key: str, **values) -> str:
    return TEXTS.get(locale, TEXTS["en"])[key].format(**values)


def wants_agent(message: str) -> bool:
    folded = " ".join(fold(message).split())
    return any(phrase in folded for phrase in AGENT_PHRASES)


def answer(message: str, locale: str) -> Answer:
    """The helper's reply to `message`: links to the articles that answer it, or a request to rephrase."""
    found = help_articles.search(message, locale)
    if not found or found[0].coverage < GOOD_COVERAGE:
        return Answer(text(locale, "miss"), [])
    linked = [f for f in found[:MAX_LINKS] if f is found[0] or f.coverage >= LINKED_COVERAGE]
    lines = [text(locale, "found")] + [f"\u2022 {f.translation.title}" for f in linked] + [text(locale, "follow_up")]
    return Answer("\n".join(lines), [{"slug": f.article.slug, "title": f.translation.title} for f in linked])
