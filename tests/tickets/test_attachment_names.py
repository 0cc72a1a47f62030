"""Attachments are kept and served under a name of the type their content is, never the
client's extension, without control or bidi characters, in a safe Content-Disposition."""
from pathlib import Path

import pytest

from services.tickets.core.attachments import content_disposition, safe_filename
from services.tickets.core.models import Attachment
from tests.support import file_tuple, pdf_bytes, png_bytes


def upload(who, name, data=None):
    response = who.post("/api/v1/tickets", data={
        "subject": "Screenshot", "category": "other", "description": "attached",
        "files": [file_tuple(data or png_bytes(), name)]}, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    return response.json["ticket"]["messages"][0]["attachments"][0]


def test_png_named_html_is_kept_and_served_as_png(app, alice):
    attachment = upload(alice, "poly.html")
    assert (attachment["filename"], attachment["content_type"]) == ("poly.png", "image/png")
    download = alice.get(attachment["url"])
    assert download.status_code == 200 and download.data == png_bytes()
    assert download.mimetype == "image/png"
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"poly.png\"; filename*=UTF-8''poly.png")
    stored = Attachment.get_by_id(attachment["id"])
    assert stored.filename == "poly.png"
    on_disk = Path(app.config["ATTACHMENT_DIR"], stored.storage_name[:2], stored.storage_name)
    assert on_disk.suffix == ".png" and on_disk.read_bytes() == png_bytes()


def test_right_to_left_override_is_dropped(alice):
    attachment = upload(alice, "invoice\u202Egnp.exe")
    assert attachment["filename"] == "invoicegnp.png"
    header = alice.get(attachment["url"]).headers["Content-Disposition"]
    assert "\u202e" not in header and "%E2%80%AE" not in header.upper()
    assert header == "attachment; filename=\"invoicegnp.png\"; filename*=UTF-8''invoicegnp.png"


def test_non_ascii_names_keep_their_letters_in_filename_star(alice):
    attachment = upload(alice, "extracto de cuenta – año.pdf", pdf_bytes())
    assert attachment["filename"] == "extracto de cuenta – año.pdf"
    header = alice.get(attachment["url"]).headers["Content-Disposition"]
    assert header.startswith('attachment; filename="extracto de cuenta _ ano.pdf"; ')
    assert header.endswith("filename*=UTF-8''extracto%20de%20cuenta%20%E2%80%93%20a%C3%B1o.pdf")


@pytest.mark.parametrize("name, content_type, expected", [
    ("poly.html", "image/png", "poly.png"),
    ("shot.PNG", "image/png", "shot.png"),
    ("photo.jpeg", "image/jpeg", "photo.jpeg"),
    ("photo.png", "image/jpeg", "photo.jpg"),
    ("notes", "text/plain", "notes.txt"),
    ("../../etc/passwd", "text/plain", "passwd.txt"),
    ("C:\\Users\\me\\statement.pdf.exe", "application/pdf", "statement.pdf.pdf"),
    ("a\x00b\r\nc\u200b\u2066d.txt", "text/plain", "abcd.txt"),
    ('say "hi" <now>.txt', "text/plain", "say hi now.txt"),
    ("..", "image/png", "attachment.png"),
    (".htaccess", "text/plain", "attachment.txt"),
    ("", "application/pdf", "attachment.pdf"),
    (None, "image/png", "attachment.png"),
    ("x" * 300 + ".png", "image/png", "x" * 200 + ".png"),
])
def test_safe_filename(name, content_type, expected):
    assert safe_filename(name, content_type) == expected
    assert safe_filename(expected, content_type) == expected  # cleaning twice changes nothing


def test_content_disposition_has_an_ascii_fallback_and_the_exact_name():
    assert content_disposition("报告.pdf") == "attachment; filename=\"attachment.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf"
