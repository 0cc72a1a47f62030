"""docker-compose.yml, checked offline: it parses, every service can be built and is
watched by a health check, start order waits on health, and the configuration it
needs comes from .env.example."""
from __future__ import annotations

import re

import pytest

from tests.deploy.conftest import ROOT, SERVICES, has_worker, secrets_used_by, service_packages

INFRASTRUCTURE = {"postgres", "rabbitmq", "mailpit"}
INTERPOLATION = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def app_services(compose) -> dict[str, dict]:
    return {name: spec for name, spec in compose["services"].items() if name not in INFRASTRUCTURE}


def test_every_service_and_worker_is_in_compose(compose):
    assert set(service_packages()) <= set(SERVICES), "a new service package needs its deploy files"
    expected = set(SERVICES) | {f"{name}-worker" for name in SERVICES if has_worker(name)}
    assert expected <= set(app_services(compose))
    for name in SERVICES:
        worker = compose["services"].get(f"{name}-worker")
        if worker is not None:
            assert worker["command"] == ["python", "-m", f"services.{name}.worker"]
    assert INFRASTRUCTURE <= set(compose["services"])


@pytest.mark.parametrize("name", SERVICES)
def test_web_process_is_the_image_default(compose, name):
    spec = compose["services"][name]
    assert "command" not in spec, "the web process is the Dockerfile's gunicorn command"


def test_every_service_has_a_healthcheck_and_an_existing_build_context(compose):
    for name, spec in compose["services"].items():
        check = spec.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name} has no health check"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        if name in INFRASTRUCTURE:
            assert "image" in spec
            continue
        build = spec["build"]
        context = ROOT / build["context"]
        assert context.is_dir(), f"{name}: build context {context} does not exist"
        assert (context / build["dockerfile"]).is_file(), f"{name}: {build['dockerfile']} does not exist"


def test_each_image_is_built_from_the_one_dockerfile_for_its_service(compose):
    """A web process and its worker run one image: the Dockerfile with SERVICE set to their service."""
    for name, spec in app_services(compose).items():
        service = name.split("-", 1)[0]  # notifications-email-worker: notifications
        assert spec["build"] == {"context": ".", "dockerfile": "Dockerfile", "args": {"SERVICE": service}}, name
        assert spec["image"] == f"support-platform/{service}:${{IMAGE_TAG:-latest}}", name


def test_workers_check_their_broker_and_database_and_web_processes_their_port(compose):
    for name, spec in app_services(compose).items():
        mode = "worker" if name.endswith("-worker") else "http"
        assert spec["healthcheck"]["test"] == ["CMD", "python", "deploy/healthcheck.py", mode], name


def test_start_order_waits_on_health(compose):
    for name, spec in app_services(compose).items():
        depends = spec.get("depends_on")
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        assert {"postgres", "rabbitmq"} <= set(depends), name
        for dependency, condition in depends.items():
            assert condition == {"condition": "service_healthy"}, f"{name} -> {dependency}"
            assert "healthcheck" in compose["services"][dependency]


def test_only_the_gateway_and_the_mail_page_are_published(compose):
    published = {name: spec["ports"] for name, spec in compose["services"].items() if spec.get("ports")}
    assert set(published) == {"gateway", "mailpit"}
    assert published["gateway"] == ["${GATEWAY_PUBLISHED_PORT:-8000}:8080"]
    assert published["mailpit"] == ["${MAIL_WEB_PUBLISHED_PORT:-8025}:8025"]


def test_infrastructure(compose):
    services = compose["services"]
    assert "management" in services["rabbitmq"]["image"]
    init = [v for v in services["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v]
    assert init, "PostgreSQL needs its init script"
    source = init[0].split(":")[0]
    assert (ROOT / source).is_file()
    for volume in ("postgres-data", "rabbitmq-data", "tickets-data"):
        assert volume in compose["volumes"]
    mounted = {v.split(":")[0] for spec in services.values() for v in spec.get("volumes", [])}
    assert set(compose["volumes"]) <= mounted, "a named volume nobody mounts"
    for name in SERVICES:
        assert f"{name.upper()}_DB_PASSWORD" in services["postgres"]["environment"]


def test_service_containers_are_hardened(compose):
    for name, spec in app_services(compose).items():
        assert spec["read_only"] is True, name
        assert "ALL" in spec["cap_drop"], name
        assert "no-new-privileges:true" in spec["security_opt"], name
        assert spec["restart"] == "unless-stopped", name
        assert "/tmp" in spec["tmpfs"], name
        data = [v for v in spec.get("volumes", []) if v.endswith(":/data")]
        assert data or "/data" in spec["tmpfs"], f"{name}: /data must be writable on a read-only root"


def test_each_service_uses_its_own_database(compose):
    for name in SERVICES:
        for process in (name, f"{name}-worker"):
            spec = compose["services"].get(process)
            if spec is None:
                continue
            url = spec["environment"]["DATABASE_URL"]
            assert url.startswith(f"postgresql://{name}:") and url.endswith(f"@postgres:5432/{name}"), process


def test_every_secret_a_service_reads_is_configured(compose):
    """A secret left unset would be made per container, and the replicas would disagree."""
    for name in SERVICES:
        needed = secrets_used_by(name)
        assert {"INTERNAL_TOKEN_SECRET", "GUEST_LINK_SECRET"} <= needed
        for process in (name, f"{name}-worker"):
            spec = compose["services"].get(process)
            if spec is not None:
                missing = needed - set(spec["environment"])
                assert not missing, f"{process} lacks {sorted(missing)}"


def test_notifications_serve_streams_with_threads(compose):
    environment = compose["services"]["notifications"]["environment"]
    assert environment["GUNICORN_WORKER_CLASS"] == "gthread"
    assert int(environment["GUNICORN_THREADS"].split(":-")[-1].rstrip("}")) >= 16
    worker = compose["services"]["notifications-worker"]
    assert int(worker["stop_grace_period"].rstrip("s")) >= 30


def test_each_notification_channel_has_its_own_scalable_worker(compose):
    from services.notifications import config as notifications_config

    workers = {name: spec for name, spec in compose["services"].items()
               if name.startswith("notifications") and name.endswith("-worker")}
    served = {name: spec["environment"]["NOTIFICATIONS_CHANNELS"] for name, spec in workers.items()}
    assert served == {"notifications-worker": "inbox", "notifications-email-worker": "email",
                      "notifications-push-worker": "push"}
    assert set(served.values()) == set(notifications_config.CHANNELS)
    for name, spec in workers.items():
        assert spec["command"] == ["python", "-m", "services.notifications.worker"], name
        assert "container_name" not in spec and "ports" not in spec, f"{name} must scale with --scale"
        assert int(spec["stop_grace_period"].rstrip("s")) >= 30, name


def test_every_variable_comes_from_env_example(env_example):
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    matches = list(INTERPOLATION.finditer(text))
    assert matches, "no ${...} found: the pattern is wrong"
    missing = sorted({m.group(1) for m in matches} - set(env_example))
    assert not missing, f".env.example lacks {missing}"
    # Compose refuses to start without these (`${NAME:?message}`) instead of running with an empty secret.
    required = {m.group(1) for m in matches if (m.group(2) or "").endswith("?")}
    assert {"INTERNAL_TOKEN_SECRET", "POSTGRES_PASSWORD", "RABBITMQ_PASSWORD"} <= required


def test_env_example_holds_no_real_secret(env_example):
    for key, value in env_example.items():
        if re.search(r"SECRET|PASSWORD|PEPPER|PRIVATE", key) and value:
            assert value.startswith("change-me"), f"{key} must be a placeholder in .env.example"
