"""The embedded default's mail catcher: an SMTP server on 127.0.0.1 that keeps every
message as an `.eml` file, and a read-only page (`GET /mail` on the notifications
service) that lists them. For `make run` only; deployments set SMTP_HOST.
"""
from __future__ import annotations

import email
import email.policy
import logging
import os
import socket
from pathlib import Path

from aiosmtpd.controller import Controller
from flask import Flask, abort, render_template_string, send_file

from services.notifications.mail import eml_name

# aiosmtpd logs every SMTP command at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class EmlFolderHandler:
    """aiosmtpd handler: each accepted message becomes one file, written whole before it appears."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server, session, envelope) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / eml_name()
        temporary = final.with_suffix(".tmp")
        temporary.write_bytes(envelope.original_content or envelope.content)
        os.replace(temporary, final)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _is_free(port: int) -> bool:
    """Checked first: aiosmtpd would wait seconds for a server that cannot bind."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_catcher(directory: Path, port: int) -> tuple[Controller, int]:
    """Start the catcher on `port`, or on a free port when that one is taken (another product runs)."""
    last_error: Exception | None = None
    for candidate in (port if _is_free(port) else _free_port(), _free_port()):
        controller = Controller(EmlFolderHandler(directory), hostname="127.0.0.1", port=candidate)
        try:
            controller.start()
        except Exception as exc:  # noqa: BLE001 - aiosmtpd reports a taken port in several ways
            last_error = exc
            try:
                controller.stop()
            except Exception:  # noqa: BLE001 - it never fully started
                pass
            continue
        return controller, candidate
    raise RuntimeError(f"the mail catcher could not start: {last_error!r}")


class EmbeddedCatcher:
    """The catcher `make run` starts, and the settings that send the product's mail to it."""

    def __init__(self, controller: Controller, port: int, folder: Path, page_url: str) -> None:
        self.controller, self.port, self.folder = controller, port, folder
        self.notice = f"Mail catcher: SMTP on 127.0.0.1:{port}; every email is kept in {folder} and listed at {page_url}"
        self.running = True

    @property
    def settings(self) -> dict:
        """SMTP to the catcher and its page at /mail; nothing once it is stopped."""
        if not self.running:
            return {}
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port, "SMTP_TLS": "", "MAIL_CATCHER_DIR": str(self.folder)}

    def stop(self) -> None:
        self.running = False
        self.controller.stop()


def start_embedded_catcher(mail_settings: dict) -> EmbeddedCatcher | None:
    """A catcher on MAIL_CATCHER_PORT keeping mail in MAIL_DIR, unless SMTP_HOST names a real server."""
    if mail_settings["SMTP_HOST"]:
        return None
    folder = Path(mail_settings["MAIL_DIR"])
    controller, port = start_catcher(folder, mail_settings["MAIL_CATCHER_PORT"])
    return EmbeddedCatcher(controller, port, folder, mail_settings["MAIL_PAGE_URL"])


INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Caught mail</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}td,th{padding:.3rem .8rem;text-align:left;border-bottom:1px solid #ddd}</style>
</head><body>
<h1>Caught mail</h1>
<p>Every email the product sent while running on the embedded default, newest first. Files: <code>{{ folder }}</code></p>
<table><tr><th>Received</th><th>To</th><th>Subject</th><th></th></tr>
{% for m in messages %}<tr><td>{{ m.date }}</td><td>{{ m.to }}</td><td><a href="{{ url_for('show', name=m.name) }}">{{ m.subject }}</a></td>
<td><a href="{{ url_for('raw', name=m.name) }}">.eml</a></td></tr>
{% else %}<tr><td colspan="4">No mail yet.</td></tr>{% endfor %}
</table></body></html>"""

MESSAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ subject }}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}</style>
</head><body><p><a href="{{ url_for('index') }}">All mail</a> · <a href="{{ url_for('raw', name=name) }}">.eml</a></p>
<dl>{% for key, value in headers %}<dt><b>{{ key }}</b></dt><dd>{{ value }}</dd>{% endfor %}</dl>
<h2>Plain text</h2><pre>{{ plain }}</pre></body></html>"""


def _read(path: Path) -> email.message.EmailMessage:
    with open(path, "rb") as handle:
        return email.message_from_binary_file(handle, policy=email.policy.default)


def mail_page(directory: str | Path) -> Flask:
    """The read-only page, mounted at /mail by the notifications app when the catcher runs."""
    folder = Path(directory)
    page = Flask("mail_catcher")

    def message_path(name: str) -> Path:
        path = folder / name
        if not name.endswith(".eml") or "/" in name or name.startswith(".") or not path.is_file():
            abort(404)
        return path

    @page.get("/")
    def index():
        paths = sorted(folder.glob("*.eml"), reverse=True)[:200] if folder.is_dir() else []
        messages = []
        for path in paths:
            parsed = _read(path)
            messages.append({"name": path.name, "to": parsed["To"], "subject": parsed["Subject"],
                             "date": parsed["Date"]})
        return render_template_string(INDEX, messages=messages, folder=str(folder))

    @page.get("/<name>")
    def show(name: str):
        parsed = _read(message_path(name))
        body = parsed.get_body(preferencelist=("plain",))
        headers = [(key, parsed[key]) for key in ("From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted")]
        return render_template_string(MESSAGE, name=name, subject=parsed["Subject"], headers=headers,
                                      plain=body.get_content() if body is not None else "")

    @page.get("/<name>/raw")
    def raw(name: str):
        return send_file(message_path(name), mimetype="message/rfc822", as_attachment=True)

    return page
