"""The attachment limits the service enforces are the ones it publishes, for anyone's page
to show before an upload: change the setting and both follow."""
import io

import pytest

from services.tickets.app import create_app
from services.tickets.models import db
from tests.conftest import close_database
from tests.support import SECRET, CallerClient, png_bytes

MIB = 1024 * 1024


class Anyone(CallerClient):
    service = "tickets"


def test_the_limits_are_public_and_those_of_the_contract(client):
    anyone = Anyone(client, {"kind": "anonymous"})
    response = anyone.get("/api/v1/tickets/limits")
    assert response.status_code == 200
    assert response.json == {"attachments": {
        "max_bytes": 10 * MIB, "max_files": 5, "types": ["image/png", "image/jpeg", "application/pdf", "text/plain"],
        "extensions": [".png", ".jpg", ".jpeg", ".pdf", ".txt"]}}
    assert "/api/v1/tickets/limits" in client.get("/openapi.json").json["paths"]


@pytest.fixture
def small_app(database_url, tmp_path):
    app = create_app({"DATABASE_URL": database_url, "INTERNAL_TOKEN_SECRET": SECRET, "TESTING": True,
                      "ATTACHMENT_DIR": str(tmp_path / "attachments"), "HELP_SEED_ARTICLES": False,
                      "MAX_ATTACHMENT_BYTES": 100, "MAX_ATTACHMENTS_PER_MESSAGE": 2})
    yield app
    close_database(db)


def test_the_published_limits_follow_the_settings_the_uploads_are_checked_against(small_app):
    alice = Anyone(small_app.test_client(), {"kind": "user", "user_id": 1, "role": "customer",
                                              "email": "alice@example.com"})
    limits = alice.get("/api/v1/tickets/limits").json["attachments"]
    assert (limits["max_bytes"], limits["max_files"]) == (100, 2)

    def upload(*files):
        return alice.post("/api/v1/tickets", content_type="multipart/form-data", data={
            "subject": "Screenshots", "category": "other", "description": "see files", "files": list(files)})

    too_big = upload((io.BytesIO(png_bytes(40, 40) + b"\0" * 100), "big.png"))
    assert (too_big.status_code, too_big.json["error"]["details"]["max_bytes"]) == (413, limits["max_bytes"])
    too_many = upload(*[(io.BytesIO(b"note"), f"n{i}.txt") for i in range(limits["max_files"] + 1)])
    assert (too_many.status_code, too_many.json["error"]["details"]["max_files"]) == (400, limits["max_files"])
    assert upload(*[(io.BytesIO(b"note"), f"n{i}.txt") for i in range(limits["max_files"])]).status_code == 201
