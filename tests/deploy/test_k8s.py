"""k8s/, checked offline: every object validates against the Kubernetes schemas
(kubernetes-validate, strict) or, for KEDA's, against the schemas in
crd_schemas.py; kustomization.yaml lists every file; and the objects fit together
(selectors, ports, secrets, queues, images)."""
from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy import crd_schemas
from tests.deploy.conftest import K8S, ROOT, SERVICES, has_worker, load_yaml_documents, objects, secrets_used_by

KUBERNETES_VERSION = "1.30"  # the oldest release these manifests are meant for
SECRET_NAME = "support-secrets"
SENSITIVE = re.compile(r"SECRET|PASSWORD|PEPPER|PRIVATE_KEY|DATABASE_URL|AMQP_URL")
CODE_FOLDERS = ("services", "shared", "deploy")


def validate(doc: dict) -> None:
    schema = crd_schemas.BY_KIND.get((doc["apiVersion"], doc["kind"]))
    if schema is not None:
        jsonschema.validate(doc, schema)
        return
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_every_object_validates(manifests):
    assert len(manifests) > 20
    for path, doc in manifests:
        try:
            validate(doc)
        except kubernetes_validate.SchemaNotFoundError:
            pytest.fail(f"{path}: no schema for {doc['apiVersion']} {doc['kind']}; add one to crd_schemas.py")
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as exc:
            pytest.fail(f"{path}: {doc['kind']} {doc['metadata']['name']}: {exc.message} at {list(exc.path)}")


def test_the_validators_catch_mistakes(manifests):
    deployment = copy.deepcopy(objects(manifests, "Deployment")["tickets"])
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
    scaled = copy.deepcopy(objects(manifests, "ScaledObject")["notifications-worker"])
    scaled["spec"]["minReplicaCount"] = "1"
    with pytest.raises(jsonschema.ValidationError):
        validate(scaled)
    del scaled["spec"]["triggers"]
    with pytest.raises(jsonschema.ValidationError):
        validate(scaled)


def test_kustomization_lists_every_file():
    root = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(root, crd_schemas.KUSTOMIZATION)
    files = {p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml"}
    assert set(root["resources"]) == files
    folders = [p for p in K8S.iterdir() if p.is_dir()]
    assert folders, "the optional HPA folder is missing"
    for folder in folders:
        kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text(encoding="utf-8"))
        schema = crd_schemas.COMPONENT if kustomization["kind"] == "Component" else crd_schemas.KUSTOMIZATION
        jsonschema.validate(kustomization, schema)
        own = {p.name for p in folder.glob("*.yaml") if p.name != "kustomization.yaml"}
        assert set(kustomization.get("resources", [])) == own, folder
        assert not list(folder.glob("*/")), "one level of optional folders only"


def test_images_are_named_in_the_kustomization(manifests):
    root = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    named = {image["name"] for image in root["images"]}
    used = set()
    for _, doc in manifests:
        pod = pod_spec(doc)
        if pod:
            used |= {c["image"] for c in pod["containers"] + pod.get("initContainers", [])}
    assert used == {f"support-platform/{name}" for name in SERVICES} == named


def test_kubectl_builds_both_variants(tmp_path):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed; the manifest checks above still ran")
    built = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    kinds = [doc["kind"] for doc in yaml.safe_load_all(built.stdout) if doc]
    assert "ScaledObject" in kinds and "HorizontalPodAutoscaler" not in kinds
    docs = [doc for doc in yaml.safe_load_all(built.stdout) if doc]
    assert all(d["metadata"].get("namespace") == "support" for d in docs if d["kind"] != "Namespace")

    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump({
        "resources": [os.path.relpath(K8S, overlay)],
        "components": [os.path.relpath(K8S / "without-keda", overlay)]}))
    built = subprocess.run([kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(overlay)],
                           capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    docs = [doc for doc in yaml.safe_load_all(built.stdout) if doc]
    kinds = [doc["kind"] for doc in docs]
    assert "HorizontalPodAutoscaler" in kinds
    assert "ScaledObject" not in kinds and "TriggerAuthentication" not in kinds
    assert all(d["metadata"].get("namespace") == "support" for d in docs if d["kind"] != "Namespace")


def pod_spec(doc: dict) -> dict | None:
    if doc["kind"] == "Deployment":
        return doc["spec"]["template"]["spec"]
    if doc["kind"] == "Job":
        return doc["spec"]["template"]["spec"]
    return None


def env_of(container: dict) -> dict[str, dict]:
    return {item["name"]: item for item in container.get("env", [])}


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_a_deployment_and_a_service(manifests, name):
    deployment = objects(manifests, "Deployment")[name]
    service = objects(manifests, "Service")[name]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    port_names = {p["name"] for p in container["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert "command" not in container, "the web process is the image's gunicorn command"
    assert deployment["spec"]["replicas"] >= 2
    budget = [pdb for pdb in objects(manifests, "PodDisruptionBudget").values()
              if pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()]
    assert budget, f"{name} has no PodDisruptionBudget"


@pytest.mark.parametrize("name", SERVICES)
def test_each_worker_has_its_deployment(manifests, name):
    if not has_worker(name):
        pytest.skip(f"services/{name} has no worker")
    deployment = objects(manifests, "Deployment")[f"{name}-worker"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", f"services.{name}.worker"]
    assert container["image"] == f"support-platform/{name}"
    assert container["livenessProbe"]["exec"]["command"] == ["python", "deploy/healthcheck.py", "worker"]


def test_every_pod_is_locked_down_and_sized(manifests):
    for path, doc in manifests:
        pod = pod_spec(doc)
        if pod is None:
            continue
        where = f"{path.name}: {doc['metadata']['name']}"
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["automountServiceAccountToken"] is False, where
        for container in pod["containers"] + pod.get("initContainers", []):
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), where
            assert {"cpu", "memory"} <= set(resources["limits"]), where
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{where}: /tmp must be writable on a read-only root"


def test_deployments_leave_migrations_to_the_job_and_wait_for_it(manifests):
    for name, deployment in objects(manifests, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        service = name.split("-", 1)[0]  # notifications-email-worker: notifications
        assert env_of(pod["containers"][0])["RUN_MIGRATIONS"]["value"] == "false", name
        init = {container["name"]: container for container in pod["initContainers"]}
        # The broker first: a process that starts without it keeps an in-process bus (shared/bus.py).
        assert list(init) == ["wait-for-broker", "wait-for-migrations"], name
        assert init["wait-for-broker"]["command"] == ["python", "deploy/healthcheck.py", "worker", "--wait", "300"]
        assert "AMQP_URL" in env_of(init["wait-for-broker"])
        assert init["wait-for-migrations"]["command"] == ["python", "-m", "services.migrate", service, "--check",
                                                          "--wait", "600"], name
    job = objects(manifests, "Job")["migrations"]
    containers = job["spec"]["template"]["spec"]["containers"]
    assert {c["name"] for c in containers} == set(SERVICES)
    for container in containers:
        assert container["command"] == ["python", "-m", "services.migrate", container["name"]]
        assert container["image"] == f"support-platform/{container['name']}"
        url = env_of(container)[f"{container['name'].upper()}_DATABASE_URL"]
        assert url["valueFrom"]["secretKeyRef"]["name"] == SECRET_NAME


def secret_keys_in_example() -> set[str]:
    text = (ROOT / "deploy" / "k8s-secrets.env.example").read_text(encoding="utf-8")
    return {line.split("=")[0] for line in text.splitlines() if "=" in line and not line.startswith("#")}


def test_secrets_come_by_reference_and_exist_in_the_example(manifests):
    keys = secret_keys_in_example()
    for path, doc in manifests:
        pod = pod_spec(doc)
        if pod is None:
            continue
        for container in pod["containers"] + pod.get("initContainers", []):
            for name, item in env_of(container).items():
                if SENSITIVE.search(name):
                    reference = item.get("valueFrom", {}).get("secretKeyRef")
                    assert reference, f"{path.name}: {name} must come from a secretKeyRef"
                    assert reference["name"] == SECRET_NAME and reference["key"] in keys, name
    config = objects(manifests, "ConfigMap")["support-config"]
    assert not [key for key in config["data"] if SENSITIVE.search(key)], "a secret in the ConfigMap"


@pytest.mark.parametrize("name", SERVICES)
def test_every_secret_a_service_reads_reaches_its_pods(manifests, name):
    needed = secrets_used_by(name) | {f"{name.upper()}_DATABASE_URL", "AMQP_URL"}
    for deployment_name in (name, f"{name}-worker"):
        deployment = objects(manifests, "Deployment").get(deployment_name)
        if deployment is None:
            continue
        env = env_of(deployment["spec"]["template"]["spec"]["containers"][0])
        missing = {key for key in needed if "secretKeyRef" not in env.get(key, {}).get("valueFrom", {})}
        assert not missing, f"{deployment_name} lacks {sorted(missing)}"


def test_every_configured_name_is_read_by_the_code(manifests, compose):
    """A misspelt setting would be ignored silently; each one must appear in the code."""
    code = "\n".join(p.read_text(encoding="utf-8") for folder in CODE_FOLDERS
                     for p in (ROOT / folder).rglob("*.py"))
    names = set(objects(manifests, "ConfigMap")["support-config"]["data"])
    for _, doc in manifests:
        pod = pod_spec(doc)
        for container in (pod["containers"] if pod else []):
            names |= set(env_of(container))
    for service, spec in compose["services"].items():
        if service not in ("postgres", "rabbitmq", "mailpit"):
            names |= set(spec["environment"])
    unread = sorted(name for name in names if f'"{name}"' not in code
                    and not re.search(rf"\b{name}\b", code))
    # <SERVICE>_URL and <SERVICE>_DATABASE_URL are read by a formatted name (shared/config.py).
    unread = [n for n in unread if not re.fullmatch(r"(GATEWAY|TICKETS|NOTIFICATIONS|VIDEO|REFERRALS)_"
                                                      r"(URL|DATABASE_URL)", n)]
    assert not unread, f"set in the deploy files but read nowhere: {unread}"


NOTIFICATION_WORKERS = {"notifications-worker": "inbox", "notifications-email-worker": "email",
                        "notifications-push-worker": "push"}


def test_each_notification_channel_is_a_deployment_scaled_on_its_own_queue(manifests):
    from services.notifications import config as notifications_config

    queues = {"inbox": notifications_config.INBOX_QUEUE, "email": notifications_config.EMAIL_QUEUE,
              "push": notifications_config.PUSH_QUEUE}
    assert set(NOTIFICATION_WORKERS.values()) == set(notifications_config.CHANNELS)
    authentications = objects(manifests, "TriggerAuthentication")
    web_labels = objects(manifests, "Deployment")["notifications"]["spec"]["template"]["metadata"]["labels"]
    for name, channel in NOTIFICATION_WORKERS.items():
        worker = objects(manifests, "Deployment")[name]
        container = worker["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["python", "-m", "services.notifications.worker"], name
        assert env_of(container)["NOTIFICATIONS_CHANNELS"]["value"] == channel
        scaled = objects(manifests, "ScaledObject")[name]
        assert scaled["spec"]["scaleTargetRef"]["name"] == name
        assert scaled["spec"]["minReplicaCount"] >= 1 and scaled["spec"]["maxReplicaCount"] > 1
        [trigger] = scaled["spec"]["triggers"]
        assert trigger["type"] == "rabbitmq" and trigger["metadata"]["queueName"] == queues[channel], name
        jsonschema.validate(trigger["metadata"], crd_schemas.RABBITMQ_TRIGGER_METADATA)
        assert trigger["metadata"]["mode"] == "QueueLength" and trigger["metadata"]["vhostName"] == "/"
        reference = authentications[trigger["authenticationRef"]["name"]]
        for target in reference["spec"]["secretTargetRef"]:
            assert target["name"] == SECRET_NAME and target["key"] in secret_keys_in_example()
        # An in-flight SMTP send or push (10 s timeouts) finishes before the pod is killed.
        assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 60
        pod_labels = worker["spec"]["template"]["metadata"]["labels"]
        budgets = [pdb for pdb in objects(manifests, "PodDisruptionBudget").values()
                   if pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()]
        assert len(budgets) == 1, name
        assert not budgets[0]["spec"]["selector"]["matchLabels"].items() <= web_labels.items()
        others = [other for other in NOTIFICATION_WORKERS if other != name]
        for other in others:  # each Deployment selects its own pods only
            other_labels = objects(manifests, "Deployment")[other]["spec"]["template"]["metadata"]["labels"]
            assert not worker["spec"]["selector"]["matchLabels"].items() <= other_labels.items()


def test_the_hpa_fallback_replaces_the_scaled_objects(manifests):
    component = yaml.safe_load((K8S / "without-keda" / "kustomization.yaml").read_text(encoding="utf-8"))
    deleted = []
    for patch in component["patches"]:
        body = yaml.safe_load(patch["patch"])
        assert body["$patch"] == "delete"
        deleted.append((body["kind"], body["metadata"]["name"]))
        assert body["metadata"]["name"] in objects(manifests, body["kind"]), f"{body['kind']} to delete is absent"
    assert sorted(deleted) == sorted([("ScaledObject", name) for name in NOTIFICATION_WORKERS]
                                     + [("TriggerAuthentication", "rabbitmq-keda")])
    hpas = {hpa["metadata"]["name"]: hpa
            for hpa in load_yaml_documents(K8S / "without-keda" / "hpa-notifications-worker.yaml")}
    assert set(hpas) == set(NOTIFICATION_WORKERS)
    for name, hpa in hpas.items():
        scaled = objects(manifests, "ScaledObject")[name]
        assert hpa["spec"]["scaleTargetRef"]["name"] == scaled["spec"]["scaleTargetRef"]["name"] == name
        assert hpa["spec"]["minReplicas"] == scaled["spec"]["minReplicaCount"]
        assert hpa["spec"]["maxReplicas"] == scaled["spec"]["maxReplicaCount"]


def test_ingress_reaches_the_gateway_only(manifests):
    ingresses = list(objects(manifests, "Ingress").values())
    assert len(ingresses) == 1
    backends = [path["backend"]["service"] for rule in ingresses[0]["spec"]["rules"]
                for path in rule["http"]["paths"]]
    assert {b["name"] for b in backends} == {"gateway"}
    service_ports = {p["name"] for p in objects(manifests, "Service")["gateway"]["spec"]["ports"]}
    assert {b["port"]["name"] for b in backends} <= service_ports
    config = objects(manifests, "ConfigMap")["support-config"]["data"]
    assert config["PUBLIC_URL"].startswith("https://") and config["SESSION_COOKIE_SECURE"] == "true"


def test_peer_urls_name_the_services(manifests):
    config = objects(manifests, "ConfigMap")["support-config"]["data"]
    services = objects(manifests, "Service")
    for name in SERVICES[1:]:
        url = config[f"{name.upper()}_URL"]
        host = url.removeprefix("http://").split(":")[0]
        assert host in services, url
