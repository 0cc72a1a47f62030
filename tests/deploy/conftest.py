"""What the deployment checks share: the repository's deploy files, parsed."""
from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml

from deploy.local_secrets import secret_names

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
# Every deployable service; a new package under services/ must be added here and to the deploy files.
SERVICES = ("gateway", "tickets", "notifications", "video", "referrals")


def service_packages() -> list[str]:
    """The service packages in the tree (those with an app module)."""
    return sorted(p.parent.name for p in (ROOT / "services").glob("*/app.py"))


def has_worker(name: str) -> bool:
    return (ROOT / "services" / name / "worker.py").exists()


@functools.cache
def secrets_used_by(name: str) -> frozenset[str]:
    """The secrets (`secret("NAME")` calls) that service `name` reads: its own and the shared ones."""
    return frozenset(secret_names(ROOT / "services" / name, ROOT / "shared"))


def load_yaml_documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


@pytest.fixture(scope="session")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


@pytest.fixture(scope="session")
def manifests() -> list[tuple[Path, dict]]:
    """Every Kubernetes object under k8s/, with the file it is in (kustomization files aside)."""
    found = []
    for path in sorted(K8S.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        found += [(path, doc) for doc in load_yaml_documents(path)]
    return found


def objects(manifests, kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests if doc["kind"] == kind}
