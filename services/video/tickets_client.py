"""The tickets service's HTTP API, as the video service uses it.

The video service never reads the tickets database: it asks the tickets service,
on behalf of the agent who is calling, with an internal token it signs itself, so
the tickets service applies its own rules about which agent may see which ticket.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from shared.errors import ApiError, not_found
from shared.internal_auth import Caller, sign_internal_token

log = logging.getLogger(__name__)

TICKET_NUMBER = re.compile(r"^[A-Za-z0-9\-]{1,20}$")


@dataclass(frozen=True)
class TicketInfo:
    number: str
    status: str
    requester_kind: str
    requester_user_id: int | None
    requester_email: str
    requester_name: str | None
    locale: str


class TicketsClient:
    """One pooled HTTP session per app."""

    def __init__(self, base_url: str, secret: str, issuer: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.issuer = issuer  # the tickets service accepts the tokens of the one issuer every service does
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.mount("http://", HTTPAdapter(pool_maxsize=16, max_retries=0))
        self.session.mount("https://", HTTPAdapter(pool_maxsize=16, max_retries=0))

    def agent_ticket(self, agent: Caller, number: str) -> TicketInfo:
        """The ticket as this agent sees it; 404 when it is absent or not the agent's to see."""
        if not TICKET_NUMBER.match(number or ""):
            raise not_found("ticket")
        token = sign_internal_token(agent, "tickets", self.secret, self.issuer)
        url = f"{self.base_url}/api/v1/agent/tickets/{quote(number, safe='')}"
        try:
            response = self.session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=self.timeout)
        except requests.RequestException as exc:
            log.warning("tickets service unreachable", extra={"error": type(exc).__name__})
            raise ApiError(503, "service_unavailable",
                           "The tickets service is unavailable; please try again shortly.") from None
        if response.status_code == 404:
            raise not_found("ticket")
        if response.status_code in (401, 403):
            raise ApiError(403, "forbidden", "This ticket is not open to you.")
        if response.status_code != 200:
            log.warning("tickets service failed", extra={"status": response.status_code})
            raise ApiError(503, "service_unavailable", "The tickets service failed; please try again shortly.")
        try:
            body = response.json()
            requester = body["requester"]
            return TicketInfo(number=body["number"], status=body["status"], requester_kind=requester["kind"],
                              requester_user_id=requester.get("user_id"),
                              requester_email=(requester["email"] or "").lower(),
                              requester_name=requester.get("name"), locale=body.get("locale") or "en")
        except (ValueError, KeyError, TypeError):
            log.warning("tickets service answered an unexpected body")
            raise ApiError(503, "service_unavailable", "The tickets service failed; please try again shortly.") from None
