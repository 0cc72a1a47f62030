"""The guest's web page for one ticket: `GET /support/tickets/{number}?t=...`.

Plain server-rendered HTML and forms that work without JavaScript and without
anything from outside: ask for a code, enter it, then read the ticket's history
and reply with text or files. The forms call the tickets service's own guest and
ticket endpoints, as the public API does. The link's token only ever travels in
the page's own address (the first two forms post back to it); no page writes it
into HTML. A right code sets the guest cookie and redirects to the bare address,
so the token leaves the address bar; a link opened while already verified is
cleaned by `history.replaceState` (static/guest/page.js).
The texts live in `templates/guest/messages.json` (en, es, zh-Hant).
"""
from __future__ import annotations

import hmac
import json
import math
import re
import secrets
from pathlib import Path

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from urllib3 import encode_multipart_formdata

from services.gateway import identity
from services.gateway.upstream import client
from shared.errors import ApiError
from shared.guest_links import LinkExpired, LinkInvalid, verify_ticket_link
from shared.internal_auth import Caller
from shared.locales import DEFAULT_LOCALE, LOCALES, from_accept_language

blp = Blueprint("guest_pages", __name__, template_folder="templates", static_folder="static/guest",
                static_url_path="/support/static")

CATALOGUE: dict[str, dict[str, str]] = json.loads(
    (Path(__file__).parent / "templates" / "guest" / "messages.json").read_text("utf-8"))
NUMBER = re.compile(r"^[0-9]{4,12}$")
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'")
# Upstream error codes that have their own sentence in the catalogue.
EXPLAINED = {"invalid_link", "link_expired", "code_recently_sent", "too_many_codes", "verification_locked",
             "invalid_code", "csrf_failed", "ticket_closed", "file_too_large", "payload_too_large",
             "unsupported_file_type", "too_many_files", "empty_file", "service_unavailable", "secret_detected"}
LINK_ERRORS = {"invalid_link", "link_expired"}


class Texts:
    """The catalogue in one language, English where a sentence is missing."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **values) -> str:
        text = CATALOGUE[self.lang].get(key) or CATALOGUE["en"][key]
        return text.format(**values) if values else text


def pick_language(ticket_locale: str | None = None) -> str:
    """`?lang=`, else the site's remembered language switch (the `lang` cookie of the web
    front end), else the ticket's language, else the browser's, else English."""
    for asked in (request.args.get("lang"), request.cookies.get("lang")):
        if asked in LOCALES:
            return asked
    if ticket_locale in LOCALES:
        return ticket_locale
    return from_accept_language(request.accept_languages.values()) or DEFAULT_LOCALE


def guest_caller(number: str) -> Caller | None:
    """The guest whose cookie opens this ticket, if any (an expired one opens nothing)."""
    raw = request.cookies.get(identity.GUEST_COOKIE, "")
    if not raw.startswith(identity.GUEST_TOKEN_PREFIX):
        return None
    try:
        caller = identity.verify_guest_token(raw)
    except ApiError:
        return None
    return caller if caller.scope.get("ticket") == number else None


def form_csrf_ok() -> bool:
    """Double-submit: the form's hidden token must equal the `csrf_token` cookie."""
    cookie = request.cookies.get(identity.CSRF_COOKIE, "")
    sent = request.form.get("csrf_token", "")
    return bool(cookie) and bool(sent) and hmac.compare_digest(cookie, sent)


def upstream_error(body) -> dict:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def error_code(body) -> str:
    return str(upstream_error(body).get("code") or "")


def error_text(texts: Texts, status: int, body: dict, fallback: str) -> tuple[str, str]:
    """The error code of an upstream answer and the sentence that explains it."""
    error = upstream_error(body)
    code = error_code(body)
    details = error.get("details") if isinstance(error.get("details"), dict) else {}
    if code == "invalid_code":
        return code, texts(code, attempts_left=int(details.get("attempts_left", 0)))
    if code in ("too_many_codes", "verification_locked"):
        return code, texts(code, minutes=max(1, math.ceil(int(details.get("retry_after", 60)) / 60)))
    if code in EXPLAINED:
        return code, texts(code)
    if status >= 500:
        return "service_unavailable", texts("service_unavailable")
    return code, texts(fallback)


def render_page(view: str, number: str, texts: Texts, status: int = 200, **context):
    """One page, in one of three views: `verify`, `ticket`, or `problem`."""
    csrf_token = request.cookies.get(identity.CSRF_COOKIE)
    new_csrf = not csrf_token
    if new_csrf:
        csrf_token = secrets.token_urlsafe(24)
    html = render_template("guest/ticket.html", view=view, number=number, _=texts, lang=texts.lang,
                           csrf_token=csrf_token, **context)
    response = make_response(html, status)
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    if new_csrf:
        response.set_cookie(identity.CSRF_COOKIE, csrf_token, httponly=False, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], path="/")
    return response


def problem(number: str, texts: Texts, status: int, message: str, code: str = ""):
    return render_page("problem", number, texts, status, error=message, error_code=code)


def verify_view(number: str, t: str, texts: Texts, status: int = 200, **context):
    """The first steps, once the link is checked here (the tickets service checks it again)."""
    if not t:
        return problem(number, texts, 400, texts("missing_link"), "missing_link")
    try:
        verify_ticket_link(t, number, current_app.config["GUEST_LINK_SECRET"])
    except LinkExpired:
        return problem(number, texts, 410, texts("link_expired"), "link_expired")
    except LinkInvalid:
        return problem(number, texts, 403, texts("invalid_link"), "invalid_link")
    return render_page("verify", number, texts, status, **context)


def ticket_view(number: str, guest: Caller, status: int = 200, failure: tuple | None = None, **context):
    """The ticket with its history and the reply box; `failure` is an upstream (status, body) to explain."""
    try:
        got, ticket = client().json("tickets", "GET", f"/api/v1/tickets/{number}", guest)
    except ApiError:
        got, ticket = 503, {}
    if got != 200:
        texts = Texts(pick_language())
        if got >= 500:
            return problem(number, texts, 503, texts("service_unavailable"), "service_unavailable")
        return problem(number, texts, 401, texts("session_ended"), "session_ended")
    texts = Texts(pick_language(ticket.get("locale")))
    if failure is not None:
        context["error_code"], context["error"] = error_text(texts, *failure, "reply_failed")
    return render_page("ticket", number, texts, status, ticket=ticket, **context)


def checked_number(number: str) -> None:
    if not NUMBER.match(number):
        raise ApiError(404, "not_found", "No such page.")


def call_tickets(path: str, payload: dict) -> tuple[int, dict]:
    try:
        return client().json("tickets", "POST", path, None, payload=payload)
    except ApiError as exc:
        return exc.status, exc.to_dict()


@blp.get("/support/tickets/<number>")
def ticket_page(number: str):
    """The ticket when this browser is verified for it; otherwise the steps to verify."""
    checked_number(number)
    guest = guest_caller(number)
    if guest is not None:
        return ticket_view(number, guest, replied=request.args.get("replied") == "1")
    return verify_view(number, request.args.get("t", ""), Texts(pick_language()))


@blp.post("/support/tickets/<number>")
def verify_step(number: str):
    """The two steps before the ticket: `step=send_code`, then `step=verify` with the code.

    The forms have no `action`, so they post back to the page's own address and
    the link's token travels in its query string: no page ever writes the token
    into its HTML.
    """
    checked_number(number)
    texts = Texts(pick_language())
    t = request.args.get("t", "")
    step = request.form.get("step")
    sent = step == "verify"
    if step not in ("send_code", "verify"):
        return verify_view(number, t, texts, 400)
    if not form_csrf_ok():
        return verify_view(number, t, texts, 403, error=texts("csrf_failed"), error_code="csrf_failed", sent=sent)
    if step == "send_code":
        status, body = call_tickets(f"/api/v1/guest/tickets/{number}/verification-code", {"t": t})
        if status == 202:
            return verify_view(number, t, texts, notice=texts("code_sent"), sent=True)
        fallback = "service_unavailable"
    else:
        status, body = call_tickets(f"/api/v1/guest/tickets/{number}/session",
                                    {"t": t, "code": request.form.get("code", "")})
        if status == 200 and identity.GRANT_KEY in body:
            return verified(number, body)
        fallback = "code_format"
    code, message = error_text(texts, status, body, fallback)
    if code in LINK_ERRORS:
        return problem(number, texts, status, message, code)
    return verify_view(number, t, texts, status, error=message, error_code=code, sent=sent)


def verified(number: str, body: dict):
    """Set the guest cookie and show the ticket at its bare address: the token leaves the address bar."""
    _body, cookies = identity.apply_guest_grant(body)
    response = redirect(url_for(".ticket_page", number=number), 303)
    for name, value, options in cookies:
        response.set_cookie(name, value, **options)
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.post("/support/tickets/<number>/reply")
def reply(number: str):
    """Post the guest's reply (text and files) to the ticket, then show it again."""
    checked_number(number)
    guest = guest_caller(number)
    if guest is None:
        texts = Texts(pick_language())
        return problem(number, texts, 401, texts("session_ended"), "session_ended")
    draft = request.form.get("body", "")
    if not form_csrf_ok():
        return ticket_view(number, guest, 403, failure=(403, {"error": {"code": "csrf_failed"}}), draft=draft)
    fields: list = [("body", draft)]
    fields += [("files", (upload.filename, upload.read(), upload.mimetype or "application/octet-stream"))
               for upload in request.files.getlist("files") if upload.filename]
    data, content_type = encode_multipart_formdata(fields)
    try:
        answer = client().request("tickets", "POST", f"/api/v1/tickets/{number}/messages", guest, body=data,
                                  headers={"Content-Type": content_type})
        status, body = answer.status, json.loads(answer.data or b"{}")
    except (ApiError, ValueError):
        status, body = 503, {}
    if status == 201:
        return redirect(url_for(".ticket_page", number=number, replied=1, _anchor="reply"), 303)
    if error_code(body) == "secret_detected":
        draft = ""  # a wallet secret is never written back into a page
    return ticket_view(number, guest, status, failure=(status, body), draft=draft)

