"""Every public path that a service owns: authenticate, check the role, forward."""
from __future__ import annotations

from flask import Blueprint, current_app, g, request
from werkzeug.routing import Map, Rule

from services.gateway import audit, identity, mfa
from services.gateway.models import Session
from services.gateway.upstream import Route, find_route, forward
from shared.errors import ApiError
from shared.internal_auth import Caller

blp = Blueprint("proxy", __name__)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def check_access(target: Route, caller: Caller | None, session: Session | None = None) -> None:
    """Is this caller the kind of caller the route is for? (Whether the resource is
    theirs is for the owning service to say.) `session` is the caller's: an agent's must
    have passed 2FA while `AGENT_MFA_REQUIRED`."""
    if target.access != "public" and caller is None:
        raise ApiError(401, "not_authenticated", "Log in first.")
    if target.access == "user" and caller.kind != "user":
        raise ApiError(403, "forbidden", "A guest session cannot do this; log in with an account.")
    if target.access == "agent" and not caller.is_agent:
        raise ApiError(403, "forbidden", "This is for support agents.")
    if target.access != "public":  # an agent touches no ticket, file or call before 2FA
        mfa.check_agent_enrolled(caller, session)


def own_methods(path: str) -> list[str]:
    """The methods the gateway's own views take at `path` (none: not one of its paths)."""
    own_rules = current_app.extensions.get("own_rules")
    if own_rules is None:
        own_rules = current_app.extensions["own_rules"] = Map(
            [Rule(rule.rule, methods=rule.methods, endpoint=rule.endpoint)
             for rule in current_app.url_map.iter_rules() if rule.endpoint != "proxy.proxy"],
            converters=current_app.url_map.converters)
    return own_rules.bind("").allowed_methods(path)


def not_routed(path: str) -> ApiError:
    """No service's path: 405 with `Allow` when it is one of the gateway's own paths (this
    catch-all takes every method there), else 404."""
    methods = own_methods(path)
    if methods:
        return ApiError(405, "method_not_allowed", "The method is not allowed for the requested URL.",
                        headers={"Allow": ", ".join(sorted(methods))})
    return ApiError(404, "not_found", "No such endpoint.")


@blp.before_app_request
def _options():
    """OPTIONS on an API path says what that path takes, not what this catch-all takes: the
    gateway's own view's methods, or the owning service's answer."""
    if request.method != "OPTIONS" or not request.path.startswith("/api/v1/"):
        return None
    methods = own_methods(request.path)
    if methods:
        return current_app.response_class(status=200, headers={"Allow": ", ".join(sorted(methods))})
    target = find_route(request.path)
    if target is None or target.stream:
        raise not_routed(request.path)
    return forward(target, None)


@blp.route("/api/v1/<path:rest>", methods=METHODS)
def proxy(rest: str):
    target = find_route(request.path)
    if target is None:
        raise not_routed(request.path)
    g.metrics_route = target.pattern.pattern  # the route's template in the request metrics, not the path
    who = identity.resolve_identity()
    caller = who.caller
    check_access(target, caller, who.session)
    if caller is not None and caller.is_agent:  # staff access and changes go to the audit log
        return audit.forward_audited(target, caller)
    return forward(target, caller)
