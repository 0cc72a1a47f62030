"""JSON Schemas for the objects in k8s/ that Kubernetes' own schemas do not cover.

Kept small: the fields these manifests use and the ones the controllers require,
taken from KEDA's CRDs (keda.sh/v1alpha1, v2.x) and kustomize's types.
"""
from __future__ import annotations

from tests.deploy.monitoring_schemas import BY_KIND as MONITORING_BY_KIND

_NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}
_METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": _NAME, "namespace": _NAME, "labels": {"type": "object"},
                   "annotations": {"type": "object"}},
}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}

SCALED_OBJECT = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "ScaledObject"},
        "metadata": _METADATA,
        "spec": {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "additionalProperties": False,
            "properties": {
                "scaleTargetRef": {
                    "type": "object", "required": ["name"], "additionalProperties": False,
                    "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                   "name": _NAME, "envSourceContainerName": {"type": "string"}},
                },
                "pollingInterval": {"type": "integer", "minimum": 1},
                "cooldownPeriod": {"type": "integer", "minimum": 0},
                "initialCooldownPeriod": {"type": "integer", "minimum": 0},
                "idleReplicaCount": {"type": "integer", "minimum": 0},
                "minReplicaCount": {"type": "integer", "minimum": 0},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "fallback": {"type": "object", "required": ["failureThreshold", "replicas"]},
                "advanced": {
                    "type": "object", "additionalProperties": False,
                    "properties": {
                        "restoreToOriginalReplicaCount": {"type": "boolean"},
                        "horizontalPodAutoscalerConfig": {
                            "type": "object", "additionalProperties": False,
                            "properties": {"name": {"type": "string"}, "behavior": {"type": "object"}},
                        },
                        "scalingModifiers": {"type": "object"},
                    },
                },
                "triggers": {
                    "type": "array", "minItems": 1,
                    "items": {
                        "type": "object", "required": ["type", "metadata"], "additionalProperties": False,
                        "properties": {
                            "type": {"type": "string"},
                            "name": {"type": "string"},
                            "useCachedMetrics": {"type": "boolean"},
                            "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
                            "metadata": _STRING_MAP,
                            "authenticationRef": {
                                "type": "object", "required": ["name"], "additionalProperties": False,
                                "properties": {"name": _NAME,
                                               "kind": {"enum": ["TriggerAuthentication",
                                                                 "ClusterTriggerAuthentication"]}},
                            },
                        },
                    },
                },
            },
        },
    },
}

# The rabbitmq scaler's own metadata (keda.sh/docs/scalers/rabbitmq-queue).
RABBITMQ_TRIGGER_METADATA = {
    "type": "object",
    "required": ["queueName", "mode", "value"],
    "additionalProperties": False,
    "properties": {
        "protocol": {"enum": ["amqp", "http", "auto"]},
        "queueName": {"type": "string", "minLength": 1},
        "mode": {"enum": ["QueueLength", "MessageRate"]},
        "value": {"type": "string", "pattern": r"^\d+(\.\d+)?$"},
        "activationValue": {"type": "string", "pattern": r"^\d+(\.\d+)?$"},
        "vhostName": {"type": "string"},
        "host": {"type": "string"},
        "hostFromEnv": {"type": "string"},
        "useRegex": {"enum": ["true", "false"]},
        "excludeUnacknowledged": {"enum": ["true", "false"]},
        "unsafeSsl": {"enum": ["true", "false"]},
        "timeout": {"type": "string"},
    },
}

TRIGGER_AUTHENTICATION = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "TriggerAuthentication"},
        "metadata": _METADATA,
        "spec": {
            "type": "object", "minProperties": 1,
            "properties": {
                "secretTargetRef": {
                    "type": "array", "minItems": 1,
                    "items": {"type": "object", "required": ["parameter", "name", "key"],
                              "additionalProperties": False,
                              "properties": {"parameter": {"type": "string"}, "name": _NAME,
                                             "key": {"type": "string"}}},
                },
                "env": {"type": "array"},
                "podIdentity": {"type": "object"},
            },
        },
    },
}

_KUSTOMIZE_PATCH = {
    "type": "object", "additionalProperties": False,
    "properties": {"patch": {"type": "string"}, "path": {"type": "string"}, "target": {"type": "object"},
                   "options": {"type": "object"}},
}
_KUSTOMIZE_COMMON = {
    "apiVersion": {"type": "string"},
    "resources": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    "components": {"type": "array", "items": {"type": "string"}},
    "patches": {"type": "array", "items": _KUSTOMIZE_PATCH},
    "namespace": _NAME,
    "labels": {"type": "array", "items": {"type": "object", "required": ["pairs"]}},
    "images": {"type": "array", "items": {
        "type": "object", "required": ["name"], "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "newName": {"type": "string"},
                       "newTag": {"type": "string"}, "digest": {"type": "string"}}}},
}
KUSTOMIZATION = {
    "type": "object", "required": ["apiVersion", "kind", "resources"], "additionalProperties": False,
    "properties": {**_KUSTOMIZE_COMMON, "apiVersion": {"const": "kustomize.config.k8s.io/v1beta1"},
                   "kind": {"const": "Kustomization"}},
}
COMPONENT = {
    "type": "object", "required": ["apiVersion", "kind"], "additionalProperties": False,
    "properties": {**_KUSTOMIZE_COMMON, "apiVersion": {"const": "kustomize.config.k8s.io/v1alpha1"},
                   "kind": {"const": "Component"}},
}

BY_KIND = {
    ("keda.sh/v1alpha1", "ScaledObject"): SCALED_OBJECT,
    ("keda.sh/v1alpha1", "TriggerAuthentication"): TRIGGER_AUTHENTICATION,
    **MONITORING_BY_KIND,
}
