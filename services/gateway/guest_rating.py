"""The guest page's rating of a resolved ticket: `POST /support/tickets/{number}/rating` (a form of
web/templates/web/guest_rating.html), sent to the tickets service as the verified guest, then the page again."""
from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from services.gateway.guest_pages import (
    checked_number,
    form_csrf_ok,
    guest_caller,
    pick_language,
    problem,
    sentence,
    ticket_view,
)
from services.gateway.upstream import client
from shared.errors import ApiError

blp = Blueprint("guest_rating", __name__)


@blp.post("/support/tickets/<number>/rating")
def rate(number: str):
    checked_number(number)
    guest = guest_caller(number)
    if guest is None:
        texts = pick_language()
        return problem(number, texts, 401, sentence(texts, "session_ended"), "session_ended")
    if not form_csrf_ok():
        return ticket_view(number, guest, 403, rating_error_code="csrf_failed")
    payload = {"rating": request.form.get("rating", ""), "comment": request.form.get("comment", "").strip() or None}
    try:
        status, body = client().json("tickets", "POST", f"/api/v1/tickets/{number}/satisfaction", guest,
                                     payload=payload)
    except ApiError as exc:
        status, body = exc.status, exc.to_dict()
    if status in (200, 201):
        return redirect(url_for("guest_pages.ticket_page", number=number, rated=1, _anchor="rating"), 303)
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return ticket_view(number, guest, status, rating_error_code=code or "rating_failed")
