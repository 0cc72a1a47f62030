"""What the tickets service's request code uses, made once by `create_app`: the outbox,
the attachment store and the attachment rules, and the reopen window."""
from __future__ import annotations

from flask import Flask, current_app

from services.tickets import config
from services.tickets.core.attachments import AttachmentRules, AttachmentStore
from services.tickets.models import OutboxMessage
from shared.outbox import Outbox


def init_app(app: Flask) -> None:
    settings = app.config
    app.extensions["outbox"] = Outbox(OutboxMessage, producer=config.SERVICE)
    app.extensions["attachment_store"] = AttachmentStore(settings["ATTACHMENT_DIR"])
    app.extensions["attachment_rules"] = AttachmentRules(settings["MAX_ATTACHMENT_BYTES"],
                                                         settings["MAX_ATTACHMENTS_PER_MESSAGE"])


def outbox() -> Outbox:
    return current_app.extensions["outbox"]


def attachment_store() -> AttachmentStore:
    return current_app.extensions["attachment_store"]


def attachment_rules() -> AttachmentRules:
    return current_app.extensions["attachment_rules"]


def window_days() -> int:
    """The days a resolved ticket may be reopened by a reply before it closes."""
    return current_app.config["REOPEN_WINDOW_DAYS"]
