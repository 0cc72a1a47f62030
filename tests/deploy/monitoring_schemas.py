"""JSON Schemas of the Prometheus Operator's objects in k8s/prometheus-operator/ (monitoring.coreos.com/v1):
the fields these manifests use and the ones the operator requires, taken from its CRDs (v0.7x)."""
from __future__ import annotations

_NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}
_METADATA = {"type": "object", "required": ["name"],
             "properties": {"name": _NAME, "namespace": _NAME, "labels": {"type": "object"},
                            "annotations": {"type": "object"}}}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_DURATION = {"type": "string", "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?"
                                          r"(([0-9]+)s)?(([0-9]+)ms)?)$"}
_LABEL_SELECTOR = {"type": "object", "additionalProperties": False, "properties": {
    "matchLabels": _STRING_MAP,
    "matchExpressions": {"type": "array", "items": {
        "type": "object", "required": ["key", "operator"],
        "properties": {"key": {"type": "string"}, "operator": {"type": "string"},
                       "values": {"type": "array", "items": {"type": "string"}}}}}}}

_RULE = {
    "type": "object", "required": ["expr"], "additionalProperties": False,
    "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
    "properties": {"alert": {"type": "string"}, "record": {"type": "string"},
                   "expr": {"type": ["string", "integer"], "minLength": 1}, "for": _DURATION,
                   "keep_firing_for": _DURATION, "labels": _STRING_MAP, "annotations": _STRING_MAP},
}
PROMETHEUS_RULE = {
    "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"}, "kind": {"const": "PrometheusRule"},
        "metadata": _METADATA,
        "spec": {"type": "object", "additionalProperties": False, "properties": {"groups": {
            "type": "array", "items": {
                "type": "object", "required": ["name", "rules"], "additionalProperties": False,
                "properties": {"name": {"type": "string", "minLength": 1}, "interval": _DURATION,
                               "rules": {"type": "array", "items": _RULE}}}}}},
    },
}
POD_MONITOR = {
    "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"}, "kind": {"const": "PodMonitor"},
        "metadata": _METADATA,
        "spec": {"type": "object", "required": ["selector"], "additionalProperties": False, "properties": {
            "selector": _LABEL_SELECTOR,
            "namespaceSelector": {"type": "object", "properties": {
                "any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}}},
            "podMetricsEndpoints": {"type": "array", "items": {
                "type": "object", "additionalProperties": False,
                "properties": {"port": {"type": "string"}, "path": {"type": "string"}, "interval": _DURATION,
                               "scrapeTimeout": _DURATION, "scheme": {"enum": ["http", "https"]}}}}}},
    },
}

BY_KIND = {
    ("monitoring.coreos.com/v1", "PrometheusRule"): PROMETHEUS_RULE,
    ("monitoring.coreos.com/v1", "PodMonitor"): POD_MONITOR,
}
