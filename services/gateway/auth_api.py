"""Accounts through the gateway: register, login, logout, me, sub-accounts, devices."""
from __future__ import annotations

from flask import current_app, jsonify, make_response, request
from flask.views import MethodView

from services.gateway import accounts, identity, schemas
from services.gateway.extensions import limiter, outbox
from services.gateway.models import Account, db
from shared.errors import ApiError
from shared.web import Blueprint, load_body

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Accounts and sessions")


def _login_email() -> str:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return f"login-email:{str(email).strip().lower()[:254]}" if email else "login-email:-"


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
        limiter.limit(lambda: current_app.config["RATE_LIMIT_LOGIN_PER_EMAIL"], key_func=_login_email),
    ]

    @blp.doc(requestBody={"content": {"application/json": {"schema": schemas.LoginSchema}}})
    @blp.response(200, schemas.LoginOut)
    def post(self):
        """A bearer token for the app and the session cookie for the web."""
        fields, _ = load_body(schemas.LoginSchema(), allow_multipart=False)
        account = accounts.authenticate(fields["email"], fields["password"])
        with db.atomic():
            token, session = accounts.start_session(account, current_app.config["SESSION_TTL_SECONDS"])
        response = make_response(jsonify({
            "access_token": token, "token_type": "Bearer",
            "expires_in": current_app.config["SESSION_TTL_SECONDS"], "user": accounts.user_dict(account)}))
        identity.set_session_cookies(response, token, session)
        response.headers["Cache-Control"] = "no-store"
        return response


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.response(204)
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
    @blp.response(201)
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
