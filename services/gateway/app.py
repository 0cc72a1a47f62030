"""The gateway: identity, routing, rate limits; the only door to the services."""
from __future__ import annotations

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from services.gateway import accounts, config, identity
from services.gateway.extensions import limiter
from services.gateway.fast_reads import FastReads
from services.gateway.models import MIGRATIONS, OutboxMessage, db, init_database  # noqa: F401 (services.migrate reads them here)
from services.gateway.service_client import UpstreamClient
from shared.outbox import Outbox
from shared.web import build_service

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _has_credentials() -> bool:
    return "Authorization" in request.headers or any(
        name in request.cookies for name in (identity.SESSION_COOKIE, identity.GUEST_COOKIE))


def create_app(test_config: dict | None = None) -> Flask:
    from services.gateway.audit_api import blp as audit_blp
    from services.gateway.auth_api import blp as accounts_blp
    from services.gateway.chats import blp as chats_blp
    from services.gateway.guest_pages import blp as guest_pages_blp
    from services.gateway.guest_rating import blp as guest_rating_blp
    from services.gateway.guest_tickets import blp as guest_tickets_blp
    from services.gateway.integrations import blp as integrations_blp
    from services.gateway.proxy import blp as proxy_blp
    from services.gateway.public_docs import blp as docs_blp
    from services.gateway.web import blp as web_blp
    from services.gateway.web import install_error_pages

    def init_extensions(app: Flask) -> None:
        accounts.configure_hasher(app.config["PASSWORD_HASH_MEMORY_KIB"], app.config["PASSWORD_HASH_TIME_COST"])
        app.extensions["outbox"] = Outbox(OutboxMessage, producer=config.SERVICE)
        app.extensions["upstream"] = UpstreamClient(
            app.config["SERVICE_URLS"], app.config["UPSTREAM_CONNECT_TIMEOUT"],
            app.config["UPSTREAM_READ_TIMEOUT"], app.config["INTERNAL_TOKEN_SECRET"],
            app.config["INTERNAL_TOKEN_ISSUER"])
        limiter.init_app(app)

    # The catch-all proxy last: the gateway's own paths come first.
    app, api, _database = build_service(
        config.SERVICE, config.settings(), test_config, title="Gateway", database=db, init_database=init_database,
        init_extensions=init_extensions, guard=False,
        blueprints=[accounts_blp, integrations_blp, audit_blp, guest_tickets_blp, chats_blp, guest_pages_blp,
                    guest_rating_blp, docs_blp, web_blp, proxy_blp])
    app.extensions["smorest_spec"] = lambda: api.spec.to_dict()
    install_error_pages(app)

    security_headers = dict(SECURITY_HEADERS)
    if app.config["HSTS_SECONDS"] > 0:
        security_headers["Strict-Transport-Security"] = f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains"
    app.wsgi_app = FastReads(app, security_headers)
    if app.config["TRUSTED_PROXY_COUNT"]:
        # Outermost, so the fast path too sees the client's address (the audit log records it).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXY_COUNT"],
                                x_proto=app.config["TRUSTED_PROXY_COUNT"])

    @app.after_request
    def _security_headers(response):
        for name, value in security_headers.items():
            response.headers[name] = value  # once, whatever a service sent
        if request.path.startswith("/api/") and _has_credentials():
            response.headers["Cache-Control"] = "no-store"  # a private answer: no cache keeps it
        return response

    return app
