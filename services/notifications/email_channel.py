"""The email channel: one alert per notice, to the account's address (address book) or the
guest's, in their language; at most one per event and recipient, ever. An account's email
shows its anti-phishing code (anti_phishing.py); a guest's has none to show."""
from __future__ import annotations

import uuid

import peewee

from services.notifications import preferences, texts
from services.notifications.attention import hold_for_digest, hold_for_reading
from services.notifications.config import mail_from
from services.notifications.fanout import carried
from services.notifications.handover import AlreadyDelivered, DeliveryRecorder
from services.notifications.mail import MESSAGE_ID_NAMESPACE, build_message, message_id
from services.notifications.models import Contact, Delivery, Preference
from services.notifications.notices import SECURITY, Notice, choose_locale
from services.notifications.quiet_hours import hold_if_quiet
from services.notifications.recipients import notices_for
from shared import clock, metrics
from shared.batching import Job
from shared.events import Envelope
from shared.guest_links import ticket_link


class AddressUnknown(RuntimeError):
    """An account's event arrived before its `user.registered.v1`: retried until the address book has it."""


def address_and_choice(user_id: int, kind: str | None) -> tuple[str, str, bool, str | None] | None:
    """The account's address, language, whether it takes `kind` by email (None: not asked, the fan-out decided),
    and its anti-phishing code, in one query; None if unknown. The address and language are empty while only the
    code is known."""
    columns = (Contact.email, Contact.locale, Contact.anti_phishing_code)
    if kind is None or kind == SECURITY:
        row = Contact.select(*columns).where(Contact.user_id == user_id).tuples().first()
        return (row[0], row[1], True, row[2]) if row else None
    choice = getattr(Preference, f"email_{kind}")
    row = (Contact.select(*columns, choice)
           .join(Preference, peewee.JOIN.LEFT_OUTER, on=(Preference.user_id == Contact.user_id))
           .where(Contact.user_id == user_id).tuples().first())
    allowed = preferences.default("email", kind) if row is None or row[3] is None else bool(row[3])
    return None if row is None else (row[0], row[1], allowed, row[2])


class EmailChannel:
    def __init__(self, settings: dict, transport) -> None:
        self.settings = settings
        self.transport = transport
        self.public_url = settings["PUBLIC_URL"].rstrip("/")
        self.sender = mail_from(settings)
        self.domain = self.sender.rpartition("@")[2] or "localhost"
        self.recorder = DeliveryRecorder(settings.get("SMTP_TIMEOUT", 10.0))

    def recipient(self, notice: Notice) -> tuple[str, str, str | None] | None:
        """The address, language and anti-phishing code to write with, or None when the user had this kind
        off: when the event came (`notice.by_email`, decided by the fan-out), or now for a notice without it."""
        audience = notice.audience
        if not audience.is_user:
            return (audience.email, choose_locale(audience.locale), None) if audience.email else None
        known = address_and_choice(audience.user_id, None if notice.by_email is not None else notice.kind)
        if known is None:  # not in the address book (yet): the event's copy of the address, if any
            address = locale = code = None
            allowed = notice.by_email if notice.by_email is not None else preferences.allows(
                audience.user_id, "email", notice.kind)
        else:
            address, locale, allowed, code = known
            allowed = allowed and notice.by_email is not False
        if not allowed:
            return None
        address = address or audience.email
        if not address:
            raise AddressUnknown(f"no email address known yet for user {audience.user_id}")
        return address, choose_locale(locale, audience.locale), code

    def link(self, notice: Notice, address: str) -> str:
        if notice.guest_ticket:
            # A fresh signed link in every guest email, bound to this address and ticket.
            return ticket_link(self.public_url, notice.ticket_number, address, self.settings["GUEST_LINK_SECRET"])
        return self.public_url + notice.page

    def deliver_job(self, job: Job) -> int:
        """An email job of the fan-out (fanout.py): the event with its notices, composed there."""
        return self.deliver(job.envelope, carried(job))

    def deliver(self, envelope: Envelope, notices: list[Notice] | None = None) -> int:
        """Send the event's emails that did not go yet, one per person it tells something (`notices`, as the
        fan-out composed them; composed here when not given); returns how many were sent. A recipient that
        failed fails the event (retried: the others are not sent twice)."""
        sent, failures = 0, []
        for notice in notices_for(envelope) if notices is None else notices:
            try:
                sent += self.deliver_notice(envelope, notice)
            except Exception as exc:  # noqa: BLE001 - the others still go; the event is retried for this one
                failures.append(exc)
        if failures:
            raise failures[0]
        return sent

    def deliver_notice(self, envelope: Envelope, notice: Notice, *, released: bool = False) -> int:
        """Send one notice's email unless it went already; or hold it (attention.py, quiet_hours.py) for the
        person's quiet hours, their digest, or their reading it in an open page (`released`: that is over);
        returns how many were sent (0 or 1)."""
        if not released and (hold_if_quiet(envelope, notice, "email") or hold_for_digest(envelope, notice, self.settings)
                             or hold_for_reading(envelope, notice, self.settings)):
            return 0
        target = self.recipient(notice)
        if target is None:
            return 0
        return self._send(envelope.id, notice.topic, notice.params, self.link(notice, target[0]), target,
                          security=notice.kind == SECURITY)

    def send_digest(self, pairs: list[tuple[Envelope, Notice]]) -> int:
        """One email for several ticket updates of one person; its delivery record and Message-ID are those of the
        set of events (an id derived from theirs); returns how many were sent (0 or 1)."""
        target = self.recipient(pairs[0][1])
        if target is None:
            return 0
        numbers = sorted({notice.params["number"] for _, notice in pairs})
        digest_id = str(uuid.uuid5(MESSAGE_ID_NAMESPACE, "digest:" + ",".join(sorted(e.id for e, _ in pairs))))
        return self._send(digest_id, "ticket_digest", {"count": len(pairs), "numbers": ", ".join(numbers)},
                          self.public_url + "/support/tickets", target, security=False)

    def _send(self, event_id: str, topic: str, params: dict, link: str, target: tuple, *, security: bool) -> int:
        address, locale, anti_phishing_code = target
        key = address.lower()
        words, plain, html = texts.render_email(topic, locale, params, link, security=security,
                                                anti_phishing_code=anti_phishing_code)
        msgid = message_id(event_id, key, self.domain)
        message = build_message(sender=self.sender, sender_name=self.settings.get("MAIL_FROM_NAME"),
                                recipient=address, subject=words.subject, plain=plain, html=html, msgid=msgid,
                                locale=locale)

        def record():
            return self.recorder.begin({"event_id": event_id, "channel": "email", "recipient": key,
                                        "topic": topic, "message_id": msgid, "sent_at": clock.now()})

        def undo() -> None:
            Delivery.delete().where((Delivery.event_id == event_id) & (Delivery.channel == "email")
                                    & (Delivery.recipient == key)).execute()

        try:
            self.transport.send(message, self.sender, address, record, undo)
        except AlreadyDelivered:
            return 0  # sent before: the server never got this copy's final dot
        except Exception:
            metrics.count_notification("email", ok=False)
            raise
        metrics.count_notification("email", ok=True)
        return 1
