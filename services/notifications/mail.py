"""Email messages, and SMTP to a real server (`SmtpTransport`, one of the senders of `senders.py`).

Alerts only: a no-reply sender, `Auto-Submitted: auto-generated`, a plain-text and
an HTML part. The Message-ID is derived from the event and the recipient, so the
rare resend after a crash is recognisable as the same message.
"""
from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
import uuid
from collections.abc import Callable
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr

from shared import clock

log = logging.getLogger(__name__)

MESSAGE_ID_NAMESPACE = uuid.UUID("5b0c8f4e-2f7e-4a55-9a0e-7d1c1c0ee6a1")


def message_id(event_id: str, recipient: str, domain: str) -> str:
    return f"<{uuid.uuid5(MESSAGE_ID_NAMESPACE, f'{event_id}:{recipient.lower()}')}@{domain}>"


# The classic MIME classes: several times faster than EmailMessage's header registry, same result.
UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP
WIRE_POLICY = compat32.clone(linesep="\r\n")


def build_message(*, sender: str, sender_name: str | None, recipient: str, subject: str, plain: str, html: str,
                  msgid: str, locale: str) -> Message:
    message = MIMEMultipart("alternative")
    message["From"] = formataddr((sender_name, sender)) if sender_name else sender
    message["To"] = recipient
    message["Subject"] = Header(subject, "utf-8")
    message["Date"] = format_datetime(clock.now().replace(tzinfo=clock.UTC))
    message["Message-ID"] = msgid
    message["Content-Language"] = locale
    # An alert that nobody should answer, and that auto-responders must not answer either (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.attach(MIMEText(plain, "plain", UTF8_QP))
    message.attach(MIMEText(html, "html", UTF8_QP))
    return message


class DeliveryFailed(RuntimeError):
    """The server did not take the message; the consumer retries it later."""


Commit = Callable[[], None]
# Puts the delivery's record on its way; returns what waits for it to be stored.
Record = Callable[[], Callable[[], None]]


def _wire_bytes(message: Message) -> bytes:
    """The DATA payload: CRLF line ends, leading dots doubled, without the final dot."""
    data = message.as_bytes(policy=WIRE_POLICY)
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _settle(settle: Callable[[], None]) -> bool:
    """Wait for the record; True if stored. The message is out either way, so a record that failed
    is logged rather than retried (a retry would send the message twice)."""
    try:
        settle()
    except Exception as exc:  # noqa: BLE001 - e.g. the database went away mid-statement
        log.error("email sent but its delivery record failed", extra={"error": repr(exc)[:300]})
        return False
    return True


def _settle_then(settle: Callable[[], None], undo: Commit) -> None:
    """The message did not go: wait for its record, then take it back."""
    if _settle(settle):
        undo()


class SmtpTransport:
    """One SMTP connection kept open across messages (per consumer thread), re-opened when it drops.

    The delivery's record is put on its way (`record`, see handover.py) after the server
    has the whole body and just before the final dot that makes it take the message; its
    outcome is read after the dot. A server that then refuses gets the record undone
    (`undo`) and a retry.
    """

    def __init__(self, host: str, port: int, *, tls: str = "", username: str | None = None,
                 password: str | None = None, timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.tls = tls
        self.username = username
        self.password = password
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        if self.tls == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        # The final dot is a write of its own: Nagle's algorithm would hold it for the server's delayed ACK.
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        smtp.ehlo_or_helo_if_needed()
        if self.username:
            smtp.login(self.username, self.password or "")
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None

    def send(self, message: Message, sender: str, recipient: str, record: Record, undo: Commit) -> None:
        payload = _wire_bytes(message)
        for attempt in (1, 2):
            fresh = self._smtp is None
            try:
                smtp = self._smtp = self._smtp or self._open()
                self._envelope(smtp, sender, recipient)
            except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                # A kept connection the server closed meanwhile: open a new one, once.
                self._smtp = None
                if fresh or attempt == 2:
                    raise DeliveryFailed(f"SMTP server unavailable: {exc!r}") from exc
                continue
            except (smtplib.SMTPException, OSError) as exc:
                self._abandon()
                raise DeliveryFailed(f"SMTP server refused the message: {exc!r}") from exc
            break
        self._data(smtp, payload, record, undo)

    def _envelope(self, smtp: smtplib.SMTP, sender: str, recipient: str) -> None:
        code, reply = smtp.mail(sender)
        if code != 250:
            smtp.rset()
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            smtp.rset()
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        code, reply = smtp.docmd("DATA")
        if code != 354:
            smtp.rset()
            raise smtplib.SMTPDataError(code, reply)

    def _data(self, smtp: smtplib.SMTP, payload: bytes, record: Record, undo: Commit) -> None:
        try:
            smtp.send(payload)
        except (smtplib.SMTPException, OSError) as exc:
            self._abandon()
            raise DeliveryFailed(f"SMTP connection failed: {exc!r}") from exc
        try:
            settle = record()
        except Exception:
            self._abandon()  # the server drops a message whose final dot never comes
            raise
        try:
            smtp.send(b".\r\n")
        except (smtplib.SMTPException, OSError) as exc:
            self._abandon()
            _settle_then(settle, undo)
            raise DeliveryFailed(f"SMTP connection failed before the final dot: {exc!r}") from exc
        recorded = _settle(settle)
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            self._abandon()
            if recorded:
                undo()
            raise DeliveryFailed(f"SMTP connection failed after the message: {exc!r}") from exc
        if code != 250:
            if recorded:
                undo()
            raise DeliveryFailed(f"SMTP server refused the message: {code} {reply!r}")

    def _abandon(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            except OSError:
                pass
        self._smtp = None


def eml_name() -> str:
    return f"{clock.now().strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}.eml"
