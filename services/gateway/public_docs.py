"""The public API's OpenAPI document (the gateway's own paths and those of every
service behind it) and a browsable page that needs nothing from outside."""
from __future__ import annotations

import html
import logging
import threading
import time

from flask import Blueprint, current_app, jsonify

from services.gateway.upstream import client

log = logging.getLogger(__name__)
blp = Blueprint("public_docs", __name__)
_cache: dict = {}
_lock = threading.Lock()
CACHE_SECONDS = 60


def merged_spec() -> dict:
    with _lock:
        if _cache.get("spec") and time.monotonic() - _cache["at"] < CACHE_SECONDS:
            return _cache["spec"]
    spec = dict(current_app.extensions["smorest_spec"]())
    spec["info"] = {"title": "Crypto exchange support: public API", "version": "v1"}
    spec["paths"] = dict(spec.get("paths", {}))
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for service in current_app.config["SERVICE_URLS"]:
        try:
            service_spec = client().get_public(service, "/openapi.json")
        except Exception:  # noqa: BLE001 - a service that is down leaves its paths out for now
            log.warning("openapi of a service unavailable", extra={"service": service})
            continue
        for path, item in service_spec.get("paths", {}).items():
            if path.startswith("/api/"):
                spec["paths"][path] = item
        for name, schema in service_spec.get("components", {}).get("schemas", {}).items():
            schemas.setdefault(name, schema)
    with _lock:
        _cache.update(spec=spec, at=time.monotonic())
    return spec


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
