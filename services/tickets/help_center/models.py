"""The help center's tables: articles, their translations, and "was this helpful?" votes.

The search index lives beside them and is not a peewee model: FTS5 virtual tables
on SQLite, a `search_vector` tsvector column with a GIN index on PostgreSQL (both
made by migration 0003 and kept up to date by `help_search`).
"""
from __future__ import annotations

import peewee

from services.tickets.models import BaseModel
from shared import clock
from shared.locales import DEFAULT_LOCALE

CATEGORIES = ("account_security", "deposits_withdrawals", "fees_limits", "wallet", "troubleshooting",
              "video_verification", "referral_program")
STATUSES = ("draft", "published")
# Shown to readers; the help center's own list (the tickets' categories and the web page's catalogues differ).
CATEGORY_TITLES = {
    "account_security": {"en": "Account and security", "es": "Cuenta y seguridad", "zh-Hant": "帳戶與安全"},
    "deposits_withdrawals": {"en": "Deposits and withdrawals", "es": "Depósitos y retiros", "zh-Hant": "充值與提幣"},
    "fees_limits": {"en": "Fees and limits", "es": "Comisiones y límites", "zh-Hant": "手續費與限額"},
    "wallet": {"en": "Wallet", "es": "Billetera", "zh-Hant": "錢包"},
    "troubleshooting": {"en": "Troubleshooting", "es": "Solución de problemas", "zh-Hant": "疑難排解"},
    "video_verification": {"en": "Video verification", "es": "Verificación por video", "zh-Hant": "視訊驗證"},
    "referral_program": {"en": "Referral program", "es": "Programa de referidos", "zh-Hant": "推薦計畫"},
}


class HelpArticle(BaseModel):
    slug = peewee.CharField(max_length=80, unique=True)
    category = peewee.CharField(max_length=40, index=True)
    status = peewee.CharField(max_length=12, default="draft")
    origin = peewee.CharField(max_length=10, default="editor")  # editor | shipped (the seed)
    created_by = peewee.IntegerField(null=True)
    updated_by = peewee.IntegerField(null=True)
    created_at = peewee.DateTimeField(default=clock.now)
    updated_at = peewee.DateTimeField(default=clock.now)
    published_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "help_article"


class HelpTranslation(BaseModel):
    article = peewee.ForeignKeyField(HelpArticle, backref="translations", on_delete="CASCADE")
    locale = peewee.CharField(max_length=10)
    title = peewee.CharField(max_length=200)
    keywords = peewee.CharField(max_length=500, default="")  # search terms people use, not shown
    body = peewee.TextField()  # restricted HTML, sanitised again whenever shown
    updated_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        table_name = "help_translation"
        indexes = ((("article", "locale"), True), (("locale",), False))


class HelpVote(BaseModel):
    article = peewee.ForeignKeyField(HelpArticle, backref="votes", on_delete="CASCADE")
    voter = peewee.CharField(max_length=300, null=True)  # "user:<id>", "guest:<email>", or null (anonymous)
    helpful = peewee.BooleanField()
    locale = peewee.CharField(max_length=10, default=DEFAULT_LOCALE)
    created_at = peewee.DateTimeField(default=clock.now)
    updated_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        table_name = "help_vote"
        # NULL voters (anonymous) never collide: both databases treat NULLs as distinct.
        indexes = ((("article", "voter"), True),)


class HelpNotice(BaseModel):
    """A service notice (maintenance, a delayed network) shown on the support page while it is active."""

    title = peewee.CharField(max_length=200)
    body = peewee.TextField()
    locale = peewee.CharField(max_length=10)
    starts_at = peewee.DateTimeField()
    ends_at = peewee.DateTimeField(null=True)  # null: until an editor ends it
    created_by = peewee.IntegerField(null=True)
    created_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        table_name = "help_notice"
        indexes = ((("locale", "starts_at"), False),)
