"""The web front end's pages: server-rendered shells in the visitor's language whose
scripts (plain ES modules in `static/js/`) talk to the public API with the session
cookie, exactly as any other client does. Nothing on a page comes from outside the
product (see `CSP`)."""
from __future__ import annotations

import re
from urllib.parse import quote

from flask import Blueprint, current_app, make_response, redirect, render_template, request, send_from_directory

from services.gateway import identity, mfa
from services.gateway.models import Account
from services.gateway.web.i18n import LANG_COOKIE, LANGUAGES, Texts, normalize, pick_language
from services.gateway.web.ticket_limits import attachment_limits
from shared.errors import ApiError
from shared.internal_auth import Caller

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                static_url_path="/ui/static")
# The attachment picker asks for the tickets service's limits only where a page has one.
blp.add_app_template_global(attachment_limits)

# The spoken languages the video service's interpreter covers (its TranslationSchema checks them).
TRANSLATION_LANGUAGES = ("ar", "de", "es", "fr", "hi", "id", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr",
                         "uk", "vi", "zh-Hans", "zh-Hant")
# Where a customer may send an escalation besides the senior tier (the API takes any department name).
ESCALATION_DEPARTMENTS = ("security", "payments")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def viewer() -> Caller | None:
    """The logged-in account behind the session cookie, if any (guests are not accounts)."""
    try:
        caller = identity.resolve_identity().caller
    except ApiError:
        return None
    return caller if caller is not None and caller.kind == "user" else None


def user_dict(user: Caller | None) -> dict | None:
    if user is None:
        return None
    return {"id": user.user_id, "role": user.role, "email": user.email, "name": user.name, "locale": user.locale,
            "tier": user.tier or ("standard" if user.role == "agent" else None), "department": user.department,
            "is_sub_account": user.parent_id is not None, "roles": list(user.roles)}


def render(template: str, page: str, user: Caller | None, *, status: int = 200, data: dict | None = None,
           **context):
    """A page in the visitor's language, with its catalogue and data for its script."""
    lang = pick_language(user.locale if user else None)
    texts = Texts(lang)
    page_data = {"page": page, "lang": lang, "catalogue": texts.catalogue, "user": user_dict(user), **(data or {})}
    html = render_template(f"web/{template}", t=texts, lang=lang, languages=LANGUAGES, user=user, page=page,
                           page_data=page_data, **context)
    response = make_response(html, status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    asked = normalize(request.args.get("lang"))
    if asked:  # a link that names the language switches it, and it is remembered like the switch
        response.set_cookie(LANG_COOKIE, asked, max_age=LANGUAGE_COOKIE_SECONDS, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], path="/")
    return response


def safe_next(default: str) -> str:
    """Where to go after logging in: a path on this site only."""
    target = request.args.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def to_login():
    return redirect("/login?next=" + quote(request.full_path.rstrip("?"), safe="/"), 303)


def customer_page(template: str, page: str, **kwargs):
    """A page for logged-in customers; others go to the login page (agents to their console)."""
    user = viewer()
    if user is None:
        return to_login()
    if user.is_agent:
        return redirect("/agent", 303)
    return render(template, page, user, **kwargs)


def member_page(template: str, page: str, **kwargs):
    """A page for every account (the inbox): customers, and agents past their 2FA enrolment."""
    user = viewer()
    if user is None:
        return to_login()
    if user.is_agent and mfa_enrolment_required(user):
        return redirect("/account/security", 303)
    return render(template, page, user, **kwargs)


def agent_page(template: str, page: str, **kwargs):
    """A page for agents; an agent who must first turn on 2FA goes to the account security page."""
    user = viewer()
    if user is None:
        return to_login()
    if not user.is_agent:
        return redirect("/support", 303)
    if mfa_enrolment_required(user):
        return redirect("/account/security", 303)
    return render(template, page, user, **kwargs)


def mfa_enrolment_required(user: Caller) -> bool:
    return mfa.enrollment_required(user, identity.resolve_identity().session)


# -- everyone ----------------------------------------------------------------------------------

@blp.get("/")
@blp.get("/support")
def support():
    """The support center: Get help, active items and tickets (logged in), self-service tools."""
    user = viewer()
    if user is not None and user.is_agent:
        return redirect("/agent", 303)
    return render("support.html", "support", user, translation_languages=TRANSLATION_LANGUAGES,
                  data={"translation_languages": TRANSLATION_LANGUAGES})


@blp.get("/login")
def login():
    user = viewer()
    if user is not None:
        return redirect(safe_next("/agent" if user.is_agent else "/support"), 303)
    return render("login.html", "login", None, data={"next": safe_next("")})


@blp.get("/register")
def register():
    if viewer() is not None:
        return redirect("/support", 303)
    referral = request.args.get("ref", "")[:32]
    return render("register.html", "register", None, referral_code=referral)


@blp.get("/support/guest-ticket")
def guest_ticket():
    """A ticket without an account: the link to follow it arrives by email."""
    user = viewer()
    if user is not None and user.is_customer:
        return redirect("/support/tickets/new", 303)
    return render("ticket_new.html", "guest_ticket", user, guest=True, categories=CATEGORIES)


@blp.get("/support/video-calls")
def video_calls():
    """Logged in: the calls with booking, translation and the join card; otherwise
    "Join video call appointment" (email, code, then the calls of that email)."""
    user = viewer()
    if user is not None and user.is_agent:
        return redirect("/agent", 303)
    return render("video_calls.html", "video_calls", user, translation_languages=TRANSLATION_LANGUAGES,
                  data={"translation_languages": TRANSLATION_LANGUAGES})


@blp.get("/sw.js")
def service_worker():
    """The Web Push service worker, at the root so that its scope is the whole site."""
    response = send_from_directory(blp.static_folder, "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = "default-src 'self'"
    return response


@blp.get("/favicon.ico")
def favicon():
    """Browsers ask for it whatever the page links: the site's icon."""
    return send_from_directory(blp.static_folder, "icon.svg", mimetype="image/svg+xml", max_age=86400)


# -- customers ----------------------------------------------------------------------------------

CATEGORIES = ("account_security", "deposit_withdrawal", "trading_fees_limits", "wallet", "referral_rewards",
              "video_verification", "other")
TICKET_STATUSES = ("open", "awaiting_user", "resolved", "closed")
# What the notifications service tells customers about, and what it tells agents about.
NOTICE_KINDS = ("ticket_updates", "video_calls", "rewards")
AGENT_NOTICE_KINDS = ("assigned_tickets", "satisfaction", "sla_breaches")
TICKET_NUMBER = re.compile(r"^[0-9]{4,12}$")


@blp.get("/support/tickets")
def my_tickets():
    return customer_page("tickets.html", "tickets", statuses=TICKET_STATUSES)


@blp.get("/support/tickets/new")
def new_ticket():
    if viewer() is None:
        return redirect("/support/guest-ticket", 303)
    return customer_page("ticket_new.html", "new_ticket", guest=False, categories=CATEGORIES)


def customer_ticket(number: str):
    return customer_page("ticket.html", "ticket", number=number, departments=ESCALATION_DEPARTMENTS,
                         data={"number": number})


@blp.before_app_request
def _ticket_link_for_accounts():
    """`/support/tickets/<number>` is the link in every ticket email and notification. The guest
    page (guest_pages.py) owns it; a logged-in customer opening it without a guest token gets
    their own ticket page instead, and an agent the console's."""
    if request.endpoint != "guest_pages.ticket_page" or request.method != "GET" or "t" in request.args:
        return None
    user = viewer()
    if user is None:
        return None
    number = (request.view_args or {}).get("number", "")
    if not TICKET_NUMBER.match(number):
        return None  # the guest page answers 404
    if user.is_agent:
        return redirect(f"/agent/tickets/{number}", 303)
    return customer_ticket(number)


@blp.get("/notifications")
def inbox():
    return member_page("notifications.html", "notifications")


@blp.get("/settings/notifications")
def preferences():
    user = viewer()
    kinds = AGENT_NOTICE_KINDS if user is not None and user.is_agent else NOTICE_KINDS
    return member_page("preferences.html", "preferences", kinds=kinds, data={"kinds": kinds})


@blp.get("/rewards")
def rewards():
    return customer_page("rewards.html", "rewards")


@blp.get("/rewards/boxes")
def boxes():
    return customer_page("boxes.html", "boxes")


@blp.get("/assets/capital-flows")
def capital_flows():
    return customer_page("capital_flows.html", "capital_flows")


# -- every account ------------------------------------------------------------------------------

@blp.get("/account/security")
def account_security():
    """Two-factor sign-in (enrol, recovery codes, its state) and the anti-phishing code."""
    user = viewer()
    if user is None:
        return to_login()
    account = Account.get_by_id(user.user_id)
    staff_must_keep = user.is_agent and current_app.config["AGENT_MFA_REQUIRED"]
    return render("account_security.html", "account_security", user, data={
        "mfa_enabled": account.mfa_enabled, "anti_phishing_code_set": bool(account.anti_phishing_code),
        "mfa_enrolment_required": mfa_enrolment_required(user), "may_turn_off": not staff_must_keep})


# -- agents -------------------------------------------------------------------------------------

@blp.get("/agent")
def agent_console():
    return agent_page("agent_queue.html", "agent_queue", statuses=TICKET_STATUSES,
                      data={"tag": request.args.get("tag", "")[:50]})


@blp.get("/agent/tickets/<number>")
def agent_ticket(number: str):
    return agent_page("agent_ticket.html", "agent_ticket", data={"number": number})


@blp.get("/agent/audit")
def audit_log():
    """The supervisors' audit log: the events with filters, and the same as CSV (the API decides
    who may read them; a plain agent is sent back to the console)."""
    user = viewer()
    if user is not None and user.is_agent and "supervisor" not in user.roles:
        return redirect("/agent", 303)
    return agent_page("audit_log.html", "audit_log")


@blp.get("/agent/reports")
def reports():
    """The supervisors' reports: figures, charts and the CSV (the API decides who may read them;
    a plain agent is sent back to the console)."""
    user = viewer()
    if user is not None and user.is_agent and "supervisor" not in user.roles:
        return redirect("/agent", 303)
    return agent_page("reports.html", "reports")
