"""Accounts through the gateway: register, login (with its second step), logout, me,
two-factor sign-in, the anti-phishing code, sub-accounts, devices."""
from __future__ import annotations

from flask import current_app, jsonify, make_response, request
from flask.views import MethodView

from services.gateway import accounts, audit, identity, mfa, schemas
from services.gateway.extensions import limiter, outbox, remote_address
from services.gateway.models import Account, db
from shared.errors import ApiError
from shared.web import Blueprint, load_body

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Accounts and sessions")


def _login_client() -> str | None:
    """The email and the client address together: failures lock that client out of that
    account, never the account's owner logging in from elsewhere. None without an email."""
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return f"login:{str(email).strip().lower()[:254]}|{remote_address()}" if email else None


def _wrong_password(error: ApiError) -> bool:
    return error.code == "invalid_credentials"


@blp.route("/auth/register")
class Register(MethodView):
    decorators = [limiter.limit(lambda: current_app.config["RATE_LIMIT_REGISTER"])]

    @blp.doc(requestBody={"content": {"application/json": {"schema": schemas.RegisterSchema}}})
    @blp.response(201, schemas.UserEnvelope)
    def post(self):
        """Create a customer account; publishes `user.registered.v1`."""
        fields, _ = load_body(schemas.RegisterSchema(), allow_multipart=False)
        with db.atomic():
            account = accounts.create_account(outbox(), **fields)
        return {"user": accounts.user_dict(account)}


@blp.route("/auth/login")
class Login(MethodView):
    decorators = [
        limiter.limit(lambda: current_app.config["RATE_LIMIT_LOGIN"]),
        limiter.limit_failures(lambda: current_app.config["RATE_LIMIT_LOGIN_PER_EMAIL"], key_func=_login_client,
                               failed=_wrong_password),
    ]

    @blp.doc(requestBody={"content": {"application/json": {"schema": schemas.LoginSchema}}})
    @blp.response(200, schemas.LoginOut)
    @blp.alt_response(401, response="UNAUTHORIZED")
    def post(self):
        """A bearer token for the app and the session cookie for the web; for an account with
        2FA, `{mfa_required, mfa_token, expires_in}` instead, for `POST /auth/login/mfa`."""
        fields, _ = load_body(schemas.LoginSchema(), allow_multipart=False)
        try:
            account = accounts.authenticate(fields["email"], fields["password"])
        except ApiError:
            with db.atomic():
                audit.record("auth.login_failed", actor_role="anonymous",
                             actor_email=accounts.normalize_email(fields["email"])[:254])
            raise
        if account.mfa_enabled:
            with db.atomic():
                mfa_token, ttl = mfa.start_challenge(account)
            return no_store(jsonify({"mfa_required": True, "mfa_token": mfa_token, "expires_in": ttl}))
        return logged_in(account, mfa_passed=False)


def logged_in(account: Account, *, mfa_passed: bool, method: str | None = None):
    """The login answer: a new session (token and cookies), recorded as `auth.login`."""
    ttl = current_app.config["SESSION_TTL_SECONDS"]
    with db.atomic():
        token, session = accounts.start_session(account, ttl, mfa_passed=mfa_passed)
        audit.record_own("auth.login", account, {"mfa": mfa_passed, **({"method": method} if method else {})})
    response = jsonify({"access_token": token, "token_type": "Bearer", "expires_in": ttl,
                        "user": accounts.user_dict(account)})
    identity.set_session_cookies(response, token, session)
    return no_store(response)


def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/auth/login/mfa")
class LoginSecondStep(MethodView):
    decorators = [limiter.limit(lambda: current_app.config["RATE_LIMIT_LOGIN"])]

    @blp.doc(requestBody={"content": {"application/json": {"schema": schemas.MfaLoginSchema}}})
    @blp.response(200, schemas.LoginOut)
    @blp.alt_response(401, response="UNAUTHORIZED")
    def post(self):
        """The second step: the `mfa_token` from the login and a current TOTP code or an unused
        recovery code. 400 `invalid_code` with `details.attempts_left`; the fifth wrong code
        ends the token (then 401 `mfa_token_expired`)."""
        fields, _ = load_body(schemas.MfaLoginSchema(), allow_multipart=False)
        with db.atomic():
            step = mfa.answer_challenge(fields["mfa_token"], fields["code"])
            if step.method is None:
                audit.record_own("auth.mfa_failed", step.account, {"attempts_left": step.attempts_left})
        if step.method is None:
            raise ApiError(400, "invalid_code", "That code is not right.", {"attempts_left": step.attempts_left})
        return logged_in(step.account, mfa_passed=True, method=step.method)


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.response(204)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    def post(self):
        """End the session (cookie or bearer token)."""
        who = identity.resolve_identity()
        if who.session is not None:
            with db.atomic():
                accounts.end_session(who.session)
        response = make_response("", 204)
        identity.clear_session_cookies(response)
        return response


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, schemas.UserEnvelope)
    def get(self):
        """The logged-in account."""
        caller = identity.require_user()
        return {"user": accounts.user_dict(Account.get_by_id(caller.user_id))}

    @blp.doc(requestBody={"content": {"application/json": {"schema": schemas.ProfileSchema}}})
    @blp.response(200, schemas.UserEnvelope)
    def put(self):
        """Change the account's language (en, es, zh-Hant): its inbox items and emails follow from then on."""
        caller = identity.require_user()
        fields, _ = load_body(schemas.ProfileSchema(), allow_multipart=False)
        with db.atomic():
            account = Account.get_by_id(caller.user_id)
            accounts.set_locale(outbox(), account, fields["locale"])
        return {"user": accounts.user_dict(account)}


@blp.route("/me/mfa/totp")
class Totp(MethodView):
    @blp.response(201, schemas.TotpEnrolmentOut)
    def post(self):
        """Start (or restart) enrolment: a new secret, pending until confirmed. 409 `mfa_already_enabled`."""
        caller = identity.require_user()
        with db.atomic():
            offer = mfa.enrolment_offer(Account.get_by_id(caller.user_id))
        response = jsonify(offer)
        response.status_code = 201
        return no_store(response)

    @blp.doc(requestBody={"content": {"application/json": {"schema": schemas.MfaCodeSchema}}})
    @blp.response(204)
    def delete(self):
        """Turn 2FA off with a current code or a recovery code (not for agents while it is required)."""
        caller = identity.require_user()
        fields, _ = load_body(schemas.MfaCodeSchema(), allow_multipart=False)
        with db.atomic():
            account = Account.get_by_id(caller.user_id)
            mfa.turn_off(account, fields["code"])
            audit.record_own("mfa.disabled", account)
        return make_response("", 204)


@blp.route("/me/mfa/totp/confirm")
class TotpConfirm(MethodView):
    @blp.doc(requestBody={"content": {"application/json": {"schema": schemas.MfaCodeSchema}}})
    @blp.response(200, schemas.RecoveryCodesOut)
    def post(self):
        """Confirm enrolment with a current code: 2FA is on, and the ten recovery codes are shown this once."""
        who = identity.resolve_identity()
        caller = identity.require_user()
        fields, _ = load_body(schemas.MfaCodeSchema(), allow_multipart=False)
        with db.atomic():
            account = Account.get_by_id(caller.user_id)
            codes = mfa.confirm_enrolment(account, who.session, fields["code"])
            audit.record_own("mfa.enabled", account)
        return no_store(jsonify({"recovery_codes": codes}))


@blp.route("/me/anti-phishing-code")
class AntiPhishingCode(MethodView):
    @blp.doc(requestBody={"content": {"application/json": {"schema": schemas.AntiPhishingCodeSchema}}})
    @blp.response(200, schemas.UserEnvelope)
    def put(self):
        """Set (4-20 letters or digits) or remove (null or "") the code every email to the account shows."""
        caller = identity.require_user()
        fields, _ = load_body(schemas.AntiPhishingCodeSchema(), allow_multipart=False)
        with db.atomic():
            account = Account.get_by_id(caller.user_id)
            accounts.set_anti_phishing_code(outbox(), account, fields["code"])
            audit.record_own("anti_phishing_code.changed", account, {"set": bool(account.anti_phishing_code)})
        return {"user": accounts.user_dict(account)}


@blp.route("/auth/sub-accounts")
class SubAccounts(MethodView):
    @blp.doc(requestBody={"content": {"application/json": {"schema": schemas.SubAccountSchema}}})
    @blp.response(201, schemas.UserEnvelope)
    def post(self):
        """A sub-account under the logged-in customer."""
        caller = identity.require_user()
        if caller.role != "customer" or caller.parent_id is not None:
            raise ApiError(403, "forbidden", "Only a main customer account can create sub-accounts.")
        fields, _ = load_body(schemas.SubAccountSchema(), allow_multipart=False)
        with db.atomic():
            parent = Account.get_by_id(caller.user_id)
            account = accounts.create_account(outbox(), email=fields["email"], password=fields["password"],
                                              locale=parent.locale, parent=parent)
        return {"user": accounts.user_dict(account)}


@blp.route("/devices")
class Devices(MethodView):
    @blp.doc(requestBody={"content": {"application/json": {"schema": schemas.DeviceSchema}}})
    @blp.response(201, schemas.DeviceEnvelope)
    def post(self):
        """The app's device; the account's first one publishes `user.app_installed.v1`."""
        caller = identity.require_user()
        fields, _ = load_body(schemas.DeviceSchema(), allow_multipart=False)
        with db.atomic():
            device, created = accounts.register_device(outbox(), Account.get_by_id(caller.user_id),
                                                       fields["platform"], fields["device_id"])
        response = jsonify({"device": {"platform": device.platform, "device_id": device.device_id,
                                       "created": created}})
        response.status_code = 201
        return response
