"""The account's anti-phishing code (`user.anti_phishing_code_changed.v1`), kept on its address
book entry so that every email to the account shows it: a mail without it is not ours.

A secret of the account: it is never logged. The change may arrive before the account's
`user.registered.v1` (queues do not keep order across producers' retries): it then makes
the entry with the email and locale unknown (empty), and the registration fills them in.
A change older than the one in force (an event retried late) changes nothing.
"""
from __future__ import annotations

import logging
import re

from services.notifications.models import Contact
from shared import clock
from shared.events import Envelope

log = logging.getLogger(__name__)

# The contract's shape (api.md, and the gateway's check): 4 to 20 ASCII letters or digits. Anything else
# never reaches an email (a line break in it could write lines of its own into the plain-text part).
VALID_CODE = re.compile(r"[A-Za-z0-9]{4,20}")


def record_anti_phishing_codes(envelopes: list[Envelope]) -> list:
    """Set (or, with a null code, remove) each account's code; idempotent, and the newest change wins."""
    for envelope in envelopes:
        user_id, code = envelope.data["user_id"], envelope.data.get("code") or None
        if code is not None and not (isinstance(code, str) and VALID_CODE.fullmatch(code)):
            log.warning("anti-phishing code ignored: not 4 to 20 letters or digits",
                        extra={"user_id": user_id, "event_id": envelope.id})
            continue
        changed_at = clock.parse_iso(envelope.occurred_at)
        values = {"anti_phishing_code": code, "anti_phishing_code_at": changed_at}
        newer = Contact.anti_phishing_code_at.is_null() | (Contact.anti_phishing_code_at <= changed_at)
        (Contact.insert(user_id=user_id, email="", locale="", updated_at=clock.now(), **values)
         .on_conflict(conflict_target=[Contact.user_id], update=values, where=newer).execute())
    return []
