"""The test's own SMTP server (aiosmtpd): every message the product sends, parsed."""
from __future__ import annotations

import email
import email.policy
import re
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.e2e.harness import wait_for
from tests.support import free_port

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


class Mailbox:
    """aiosmtpd handler that keeps what arrives; `start()` listens on a free port."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self.controller: Controller | None = None
        self.port = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def start(self) -> Mailbox:
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def wait(self, address: str, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """The first `count` messages to `address`, once they are there."""
        return wait_for(lambda: self.to(address)[:count] if len(self.to(address)) >= count else None,
                        timeout=timeout, interval=0.1, message=f"{count} email(s) to {address}")


def plain_text(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def ticket_links(message: EmailMessage, base_url: str) -> list[tuple[str, str]]:
    """The (ticket number, token) of every guest ticket link in the message's plain text."""
    pattern = re.escape(base_url) + r"/support/tickets/(\d+)\?t=([A-Za-z0-9_\-.]+)"
    return re.findall(pattern, plain_text(message))


def code_in(message: EmailMessage) -> str:
    found = CODE.findall(plain_text(message))
    assert len(set(found)) == 1, f"expected one 6-digit code, found {found}"
    return found[0]
