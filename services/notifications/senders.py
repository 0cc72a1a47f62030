"""How email and Web Push leave the service: providers behind two small interfaces, chosen by
EMAIL_BACKEND and PUSH_BACKEND (config.py), each held to one contract (tests/notifications/test_senders.py).

An `EmailSender` hands one message to its recipient: `send(message, sender, recipient, record, undo)`
calls `record()` exactly once, as the message is handed over (its delivery record, unique per event and
recipient: `AlreadyDelivered` from it means the message went before and this copy must not), waits for
what `record()` returns, and calls `undo()` when the message did not go after all; a message not taken
raises `DeliveryFailed` (retried). `smtp` (a real server), `folder` (`.eml` files: the embedded catcher's
folder), `console` (a log line of the headers: never the body, which may hold a code), `null` (records
and drops). A `PushSender` sends one payload to one browser: `send(subscription, payload)` raises
`SubscriptionGone` (404/410: unsubscribe) or `PushFailed` (retried). `webpush` (RFC 8030 with VAPID) or
`null`.
"""
from __future__ import annotations

import logging
import os
from email.message import Message
from pathlib import Path
from typing import Protocol

from services.notifications.mail import Commit, Record, SmtpTransport, _settle, eml_name
from services.notifications.webpush import WebPushSender

log = logging.getLogger(__name__)

EMAIL_BACKENDS = ("smtp", "folder", "console", "null")
PUSH_BACKENDS = ("webpush", "null")


class EmailSender(Protocol):
    def send(self, message: Message, sender: str, recipient: str, record: Record, undo: Commit) -> None: ...

    def close(self) -> None: ...


class PushSender(Protocol):
    def send(self, subscription, payload: str) -> None: ...


class FolderSender:
    """Each message an `.eml` file (the embedded catcher's format), in place only once its record is on its way."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def send(self, message: Message, sender: str, recipient: str, record: Record, undo: Commit) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / eml_name()
        temporary = final.with_suffix(".tmp")
        temporary.write_bytes(message.as_bytes())
        try:
            settle = record()
        except Exception:
            temporary.unlink()
            raise
        os.replace(temporary, final)
        _settle(settle)

    def close(self) -> None:
        pass


class ConsoleSender:
    """A log line per message, for a developer's terminal: who, what subject, which Message-ID; never the body."""

    def send(self, message: Message, sender: str, recipient: str, record: Record, undo: Commit) -> None:
        _settle(record())
        log.info("email (console backend)", extra={"to": recipient, "subject": str(message["Subject"]),
                                                   "message_id": message["Message-ID"]})

    def close(self) -> None:
        pass


class NullSender:
    """Records every message and sends none (a deployment that mails nobody, load tests)."""

    def send(self, message: Message, sender: str, recipient: str, record: Record, undo: Commit) -> None:
        _settle(record())

    def close(self) -> None:
        pass


class NullPushSender:
    """Takes every push and sends none."""

    def send(self, subscription, payload: str) -> None:
        pass


def email_backend(settings: dict) -> str:
    """EMAIL_BACKEND, else `smtp` when SMTP_HOST is set and `folder` otherwise."""
    return settings.get("EMAIL_BACKEND") or ("smtp" if settings.get("SMTP_HOST") else "folder")


def make_email_sender(settings: dict) -> EmailSender:
    backend = email_backend(settings)
    if backend == "smtp":
        return SmtpTransport(settings["SMTP_HOST"], settings["SMTP_PORT"], tls=settings.get("SMTP_TLS", ""),
                             username=settings.get("SMTP_USERNAME"), password=settings.get("SMTP_PASSWORD"),
                             timeout=settings.get("SMTP_TIMEOUT", 10.0))
    if backend == "folder":
        log.warning("emails are written to a folder", extra={"folder": settings["MAIL_DIR"]})
        return FolderSender(settings["MAIL_DIR"])
    if backend == "console":
        return ConsoleSender()
    if backend == "null":
        return NullSender()
    raise ValueError(f"EMAIL_BACKEND must be one of {', '.join(EMAIL_BACKENDS)}")


def make_push_sender(settings: dict, keys) -> PushSender:
    backend = settings.get("PUSH_BACKEND") or "webpush"
    if backend == "webpush":
        return WebPushSender(settings, keys)
    if backend == "null":
        return NullPushSender()
    raise ValueError(f"PUSH_BACKEND must be one of {', '.join(PUSH_BACKENDS)}")
