"""The public API's OpenAPI document (the gateway's own paths and those of every
service behind it) and a browsable page that needs nothing from outside."""
from __future__ import annotations

import html
import logging
import re
import threading
import time

from flask import Blueprint, current_app, jsonify

from services.gateway.identity import SESSION_COOKIE
from services.gateway.upstream import client, find_route

log = logging.getLogger(__name__)
blp = Blueprint("public_docs", __name__)
_cache: dict = {}
_lock = threading.Lock()
CACHE_SECONDS = 60

INFO = {"title": "Crypto exchange support: public API", "version": "v1"}
COMPONENT_KINDS = ("schemas", "responses", "parameters", "examples", "requestBodies", "headers",
                   "securitySchemes", "links", "callbacks")
OPERATION_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
WRITE_METHODS = ("put", "post", "delete", "patch")
# The gateway's own operations that anyone may call; its others need a session.
GATEWAY_PUBLIC_PATHS = {"/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/login/mfa",
                        "/api/v1/auth/logout"}
SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "An app session's `access_token`, a guest token or a chat token."},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                      "description": "The web session; unsafe methods also send `X-CSRF-Token`."},
}
AUTHENTICATED = [{"bearerAuth": []}, {"sessionCookie": []}]
ERROR_REF = {"$ref": "#/components/schemas/Error"}  # shared.errors.ErrorSchema, every owner's `Error`
# The errors every public operation may answer, by status: (component name, description).
ERROR_RESPONSES = {
    "400": ("BadRequest", "Bad input; `details.fields` names the fields"),
    "401": ("NotAuthenticated", "Not authenticated, or the token is not valid"),
    "403": ("Forbidden", "Not allowed for this caller"),
    "404": ("NotFound", "Absent, or not yours"),
    "409": ("Conflict", "Conflicts with the resource's state"),
    "413": ("PayloadTooLarge", "The body (or a file in it) is too large"),
    "415": ("UnsupportedMediaType", "A body or a file of a type not taken here"),
    "429": ("RateLimited", "Too many attempts; `Retry-After` says when to try again"),
    "503": ("ServiceUnavailable", "A service it needs is unavailable; try again shortly"),
}


def merged_spec() -> dict:
    with _lock:
        if _cache.get("spec") and time.monotonic() - _cache["at"] < CACHE_SECONDS:
            return _cache["spec"]
    documents = [("gateway", current_app.extensions["smorest_spec"]())]
    for service in current_app.config["SERVICE_URLS"]:
        try:
            documents.append((service, client().get_public(service, "/openapi.json")))
        except Exception:  # noqa: BLE001 - a service that is down leaves its paths out for now
            log.warning("openapi of a service unavailable", extra={"service": service})
    spec = public_spec(documents, rate_limited_operations(current_app))
    with _lock:
        _cache.update(spec=spec, at=time.monotonic())
    return spec


def public_spec(documents: list[tuple[str, dict]], rate_limited: set[tuple[str, str]] = frozenset()) -> dict:
    """One OpenAPI document of the `/api/` paths of `documents` (owner, document), the gateway's first.

    Each owner's components are named `<owner>.<name>` (services name their schemas alike), every
    reference rewritten to match; what the gateway does in front of every service (credentials,
    rate limits, the errors of the contract) is added to each operation, whose statuses are then
    all listed (no `default`); components nothing refers to are left out."""
    spec = {"openapi": documents[0][1].get("openapi", "3.0.3"), "info": dict(INFO), "tags": [], "paths": {},
            "components": {kind: {} for kind in COMPONENT_KINDS}}
    for owner, document in documents:
        components = document.get("components", {})
        renames = {f"#/components/{kind}/{name}": f"#/components/{kind}/{owner}.{name}"
                   for kind in COMPONENT_KINDS for name in components.get(kind, {})}
        if "Error" in components.get("schemas", {}):  # one error shape for every service: the first one's
            renames["#/components/schemas/Error"] = ERROR_REF["$ref"]
            spec["components"]["schemas"].setdefault("Error", _renamed(components["schemas"]["Error"], renames))
        for kind in COMPONENT_KINDS:
            for name, value in components.get(kind, {}).items():
                if renames[f"#/components/{kind}/{name}"] == f"#/components/{kind}/{owner}.{name}":
                    spec["components"][kind][f"{owner}.{name}"] = _renamed(value, renames)
        for path, item in document.get("paths", {}).items():
            if path.startswith("/api/"):
                spec["paths"][path] = _renamed(item, renames)
                for method in OPERATION_METHODS:
                    if method in item:
                        _describe_access(path, method, spec["paths"][path][method], owner, rate_limited)
        known = {tag["name"] for tag in spec["tags"]}
        spec["tags"] += [tag for tag in document.get("tags", []) if tag.get("name") not in known]
    spec["components"]["securitySchemes"].update(SECURITY_SCHEMES)
    for name, description in ERROR_RESPONSES.values():
        spec["components"]["responses"][name] = {
            "description": description, "content": {"application/json": {"schema": ERROR_REF}}}
    spec["components"]["responses"]["RateLimited"]["headers"] = {
        "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer", "minimum": 1}}}
    _leave_out_unused_components(spec)
    return spec


def _renamed(value, renames: dict):
    """`value` with each `$ref` in `renames` rewritten (a copy)."""
    if isinstance(value, dict):
        return {key: renames.get(item, item) if key == "$ref" and isinstance(item, str) else _renamed(item, renames)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, renames) for item in value]
    return value


def _describe_access(path: str, method: str, operation: dict, owner: str, rate_limited) -> None:
    """Credentials and the gateway's errors of one operation; what its owner said stays."""
    route = _route_of_template(path) if owner != "gateway" else None
    if owner == "gateway":
        public = path in GATEWAY_PUBLIC_PATHS or operation.get("security") == []
    else:
        public = route is None or route.access == "public"
    if not public:
        operation["security"] = AUTHENTICATED
    elif owner != "gateway":
        operation.pop("security", None)  # a service's own (internal) credentials are not the caller's
    statuses = set()
    if operation.get("requestBody") or any(p.get("in") not in (None, "path") for p in operation.get("parameters", [])):
        statuses.add("400")
    if operation.get("requestBody"):
        statuses.update(("413", "415"))
    if not public or owner != "gateway":  # every forwarded call reads the caller's token, if any
        statuses.add("401")
    if not public or (owner != "gateway" and method in WRITE_METHODS):  # a cookie session without its CSRF token
        statuses.add("403")
    if "{" in path:
        statuses.add("404")
    if method in WRITE_METHODS:
        statuses.add("409")
    if (method, path) in rate_limited:
        statuses.add("429")
    if owner != "gateway":
        statuses.add("503")
    responses = operation.setdefault("responses", {})
    responses.pop("default", None)  # every status an operation answers is listed: no catch-all
    for status in sorted(statuses):
        responses.setdefault(status, {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"})


# Ids of each shape the gateway's routes take (upstream.ID_FORMATS), to find the route of a path template.
SAMPLE_IDS = ("10000000", "0123456789abcdef0123456789abcdef", "00000000-0000-4000-8000-000000000000", "name")


def _route_of_template(path: str):
    for sample in SAMPLE_IDS:
        route = find_route(re.sub(r"\{[^}/]+\}", sample, path))
        if route is not None:
            return route
    return None


def _leave_out_unused_components(spec: dict) -> None:
    """Drop components that no path refers to, directly or through other components (e.g. the
    services' internal-token scheme)."""
    used: set[tuple[str, str]] = set()
    pending = [spec["paths"]]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                kind, name = ref[len("#/components/"):].split("/", 1)
                if (kind, name) not in used and name in spec["components"].get(kind, {}):
                    used.add((kind, name))
                    pending.append(spec["components"][kind][name])
            for key, item in value.items():
                if key == "security" and isinstance(item, list):
                    used.update(("securitySchemes", name) for requirement in item for name in requirement)
                elif key != "$ref":
                    pending.append(item)
    spec["components"] = {kind: {name: value for name, value in items.items() if (kind, name) in used}
                          for kind, items in spec["components"].items()}
    spec["components"] = {kind: items for kind, items in spec["components"].items() if items}


def rate_limited_operations(app) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of the gateway's views that its rate limiter guards."""
    found = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if getattr(view, "rate_limited", False):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found.update((method.lower(), path) for method in rule.methods - {"HEAD", "OPTIONS"})
    return found


@blp.get("/api/openapi.json")
def openapi_json():
    return jsonify(merged_spec())


@blp.get("/api/docs")
def api_docs():
    spec = merged_spec()
    rows = []
    for path, item in sorted(spec["paths"].items()):
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            summary = html.escape((operation.get("summary") or operation.get("description") or "").strip())
            codes = ", ".join(sorted(operation.get("responses", {})))
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                        f"<td>{summary}</td><td>{html.escape(codes)}</td></tr>")
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>API reference</title>
<style>body{{font-family:system-ui,sans-serif;margin:1rem;}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}}code{{font-size:.9rem}}</style>
</head><body><h1>Public API reference</h1>
<p>The machine-readable document is at <a href="/api/openapi.json">/api/openapi.json</a>.
Errors are <code>{{"error": {{"code", "message", "details"}}}}</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th><th>Statuses</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table></body></html>"""
    return current_app.response_class(body, mimetype="text/html")
