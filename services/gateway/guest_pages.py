"""The guest's web page for one ticket: `GET /support/tickets/{number}?t=...`.

One of the web front end's pages (web/templates/web/guest_ticket.html on web/base.html, its
catalogue web/i18n/*.json, its script web/static/js/pages/guest_ticket.js): ask for a code,
enter it, then read the ticket's history and reply with text or files. The forms work
without JavaScript and call the tickets service's own guest and ticket endpoints, as the
public API does; with it, the page follows the ticket live and sends replies in place.
The link's token only ever travels in the page's own address (the first two forms post
back to it); no page writes it into HTML. A right code sets the guest cookie and redirects
to the bare address, so the token leaves the address bar; a link opened while already
verified is cleaned by `history.replaceState` (pages/guest_ticket.js).
"""
from __future__ import annotations

import hmac
import json
import math
import re
import secrets

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from urllib3 import encode_multipart_formdata

from services.gateway import identity
from services.gateway.upstream import client
from services.gateway.web.i18n import LANGUAGES, Texts
from services.gateway.web.i18n import pick_language as web_language
from services.gateway.web.pages import CSP
from shared.errors import ApiError
from shared.guest_links import LinkExpired, LinkInvalid, verify_ticket_link
from shared.internal_auth import Caller

blp = Blueprint("guest_pages", __name__)

NUMBER = re.compile(r"^[0-9]{4,12}$")
# Upstream error codes that have their own sentence in the catalogue (`guest.error_<code>`).
EXPLAINED = {"invalid_link", "link_expired", "code_recently_sent", "too_many_codes", "verification_locked",
             "invalid_code", "csrf_failed", "ticket_closed", "file_too_large", "payload_too_large",
             "unsupported_file_type", "too_many_files", "empty_file", "service_unavailable", "secret_detected"}
LINK_ERRORS = {"invalid_link", "link_expired"}


def pick_language(ticket_locale: str | None = None) -> Texts:
    """The site's choice (`?lang=`, the remembered switch), else the ticket's language, else the browser's."""
    return Texts(web_language(ticket_locale))


def sentence(texts: Texts, code: str, **values) -> str:
    return texts("guest.error_" + code, **values)


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
        return code, sentence(texts, code, attempts_left=int(details.get("attempts_left", 0)))
    if code in ("too_many_codes", "verification_locked"):
        return code, sentence(texts, code, minutes=max(1, math.ceil(int(details.get("retry_after", 60)) / 60)))
    if code in EXPLAINED:
        return code, sentence(texts, code)
    if status >= 500:
        return "service_unavailable", sentence(texts, "service_unavailable")
    return code, sentence(texts, fallback)


def render_page(view: str, number: str, texts: Texts, status: int = 200, **context):
    """One page, in one of three views: `verify`, `ticket`, or `problem`."""
    csrf_token = request.cookies.get(identity.CSRF_COOKIE)
    new_csrf = not csrf_token
    if new_csrf:
        csrf_token = secrets.token_urlsafe(24)
    page_data = {"page": "guest_ticket", "lang": texts.lang, "catalogue": texts.catalogue, "user": None,
                 "number": number, "view": view}
    html = render_template("web/guest_ticket.html", view=view, number=number, t=texts, lang=texts.lang,
                           languages=LANGUAGES, user=None, page="guest_ticket", page_data=page_data,
                           csrf_token=csrf_token, **context)
    response = make_response(html, status)
    response.headers["Content-Security-Policy"] = CSP
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
        return problem(number, texts, 400, sentence(texts, "missing_link"), "missing_link")
    try:
        verify_ticket_link(t, number, current_app.config["GUEST_LINK_SECRET"])
    except LinkExpired:
        return problem(number, texts, 410, sentence(texts, "link_expired"), "link_expired")
    except LinkInvalid:
        return problem(number, texts, 403, sentence(texts, "invalid_link"), "invalid_link")
    return render_page("verify", number, texts, status, **context)


def ticket_view(number: str, guest: Caller, status: int = 200, failure: tuple | None = None, **context):
    """The ticket with its history and the reply box; `failure` is an upstream (status, body) to explain."""
    try:
        got, ticket = client().json("tickets", "GET", f"/api/v1/tickets/{number}", guest)
    except ApiError:
        got, ticket = 503, {}
    if got != 200:
        texts = pick_language()
        if got >= 500:
            return problem(number, texts, 503, sentence(texts, "service_unavailable"), "service_unavailable")
        return problem(number, texts, 401, sentence(texts, "session_ended"), "session_ended")
    texts = pick_language(ticket.get("locale"))
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
    return verify_view(number, request.args.get("t", ""), pick_language())


@blp.post("/support/tickets/<number>")
def verify_step(number: str):
    """The two steps before the ticket: `step=send_code`, then `step=verify` with the code.

    The forms have no `action`, so they post back to the page's own address and
    the link's token travels in its query string: no page ever writes the token
    into its HTML.
    """
    checked_number(number)
    texts = pick_language()
    t = request.args.get("t", "")
    step = request.form.get("step")
    sent = step == "verify"
    if step not in ("send_code", "verify"):
        return verify_view(number, t, texts, 400)
    if not form_csrf_ok():
        return verify_view(number, t, texts, 403, error=sentence(texts, "csrf_failed"), error_code="csrf_failed", sent=sent)
    if step == "send_code":
        status, body = call_tickets(f"/api/v1/guest/tickets/{number}/verification-code", {"t": t})
        if status == 202:
            return verify_view(number, t, texts, notice=True, sent=True)
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
        texts = pick_language()
        return problem(number, texts, 401, sentence(texts, "session_ended"), "session_ended")
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

