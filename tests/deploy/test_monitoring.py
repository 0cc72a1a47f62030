"""The monitoring pieces fit the code: scrape ports and annotations, alert expressions, the dashboard."""
from __future__ import annotations

import json
import re

from prometheus_client import REGISTRY

from shared import metrics  # noqa: F401 - defines the families
from tests.deploy.conftest import K8S, ROOT, load_yaml_documents, objects

PROMQL_WORDS = {"sum", "by", "max", "rate", "increase", "and", "on", "up", "pod", "service", "queue", "scope",
                "status", "outcome", "le", "histogram_quantile", "avg", "min", "count", "clock", "route",
                "channel", "result", "method", "topk", "irate", "without"}


def family_sample_names() -> set[str]:
    names = set()
    for collector_families in (REGISTRY.collect(),):
        for family in collector_families:
            names.add(family.name)
            names |= {family.name + suffix for suffix in ("_total", "_count", "_sum", "_bucket", "_created")}
    return names


def metric_names_in(expr: str) -> set[str]:
    without_strings = re.sub(r'"[^"]*"', "", expr)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_strings)
    words = set(re.findall(r"[a-z_][a-z0-9_]*", without_ranges))
    return {w for w in words if w not in PROMQL_WORDS}


def test_every_pod_is_scraped_where_it_serves_metrics(manifests):
    for name, deployment in objects(manifests, "Deployment").items():
        template = deployment["spec"]["template"]
        annotations = template["metadata"].get("annotations", {})
        assert annotations.get("prometheus.io/scrape") == "true", name
        container = template["spec"]["containers"][0]
        ports = {port["containerPort"] for port in container.get("ports", [])}
        assert int(annotations["prometheus.io/port"]) in ports, name
        assert annotations["prometheus.io/path"] == "/metrics"
        if name.endswith("-worker"):
            env = {item["name"]: item.get("value") for item in container.get("env", [])}
            port_settings = [value for key, value in env.items() if key.endswith("_WORKER_METRICS_PORT")]
            assert port_settings == [annotations["prometheus.io/port"]], name


def test_alerts_name_families_the_code_exports():
    known = family_sample_names()
    rules = load_yaml_documents(K8S / "prometheus-operator" / "prometheusrule.yaml")[0]
    alerts = [rule for group in rules["spec"]["groups"] for rule in group["rules"]]
    assert {"OutboxEventsStuck", "DeadLetterQueueGrowing", "ConsumerDown", "HighServerErrorRatio"} <= {
        rule["alert"] for rule in alerts}
    for rule in alerts:
        unknown = metric_names_in(rule["expr"]) - known
        assert not unknown, (rule["alert"], unknown)


def test_the_dashboard_graphs_families_the_code_exports():
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "support-platform.json").read_text(encoding="utf-8"))
    known = family_sample_names()
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert len(expressions) >= 6
    for expr in expressions:
        unknown = metric_names_in(re.sub(r"\$\w+", "", expr)) - known
        assert not unknown, (expr, unknown)
