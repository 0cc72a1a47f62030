"""The attachment limits the web pages show and check come from the tickets service
(`GET /api/v1/tickets/limits`, public through the gateway), not from a copy: set them
otherwise on the service and the pages follow."""
import json
import re

import pytest

from services.tickets.app import create_app as create_tickets
from tests.support import SECRET, free_port

MIB = 1024 * 1024


def other_services() -> dict:
    return {name: f"http://127.0.0.1:{free_port()}" for name in ("notifications", "video", "referrals")}


@pytest.fixture
def tickets_url(serve, tmp_path):
    app = create_tickets({"DATABASE_URL": f"sqlite:///{tmp_path}/tickets.db", "INTERNAL_TOKEN_SECRET": SECRET,
                          "ATTACHMENT_DIR": str(tmp_path / "files"), "HELP_SEED_ARTICLES": False,
                          "MAX_ATTACHMENT_BYTES": 3 * MIB, "MAX_ATTACHMENTS_PER_MESSAGE": 2})
    return serve(app)


def picker(html: str) -> tuple[dict, str, str]:
    """The drop zone's limits, its hint and its file input's `accept`."""
    limits = json.loads(re.search(r"data-limits='([^']*)'", html).group(1))
    hint = re.search(r'<p class="hint" id="ticket-limits">([^<]*)</p>', html).group(1)
    accept = re.search(r'<input id="ticket-files"[^>]* accept="([^"]*)"', html).group(1)
    return limits, hint, accept


def test_the_pages_show_and_check_the_services_limits(gateway_factory, tickets_url):
    client = gateway_factory(SERVICE_URLS={"tickets": tickets_url, **other_services()}).test_client()
    published = client.get("/api/v1/tickets/limits")  # public: no account, no token
    assert published.status_code == 200
    assert (published.json["attachments"]["max_bytes"], published.json["attachments"]["max_files"]) == (3 * MIB, 2)

    page = client.get("/support/guest-ticket", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    limits, hint, accept = picker(page.get_data(as_text=True))
    assert (limits["max_bytes"], limits["max_files"], limits["max_mb"]) == (3 * MIB, 2, "3")
    assert "up to 3 MB each and at most 2 files" in hint
    assert accept.split(",") == published.json["attachments"]["types"] + published.json["attachments"]["extensions"]
    spanish = client.get("/support/guest-ticket", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "hasta 3 MB cada uno y como máximo 2 archivos" in picker(spanish)[1]


def test_without_the_tickets_service_the_page_still_opens_without_limits(gateway_factory):
    client = gateway_factory(SERVICE_URLS={"tickets": f"http://127.0.0.1:{free_port()}", **other_services()}).test_client()
    page = client.get("/support/guest-ticket")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="ticket-files"' in html
    assert "data-limits" not in html and 'id="ticket-limits"' not in html
