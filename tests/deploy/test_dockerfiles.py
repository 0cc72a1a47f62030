"""The one Dockerfile, checked offline for each service's image (no Docker engine here;
`SERVICE` is the build argument): what it copies exists and is not ignored, the image
holds that service and shared/ only, runs as a non-root user with gunicorn by default
and a HEALTHCHECK, and everything the service imports is in that image."""
from __future__ import annotations

import ast
import fnmatch
import functools
import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.deploy.conftest import ROOT, SERVICES

INSTRUCTION = re.compile(r"^([A-Z]+)\s+(.*)$", re.S)
DOCKERFILE = ROOT / "Dockerfile"


def instructions(path: Path, service: str | None = None) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped; with `service`,
    as the build with `--build-arg SERVICE=<service>` reads them."""
    result, pending = [], ""
    text = path.read_text(encoding="utf-8")
    if service is not None:
        text = re.sub(r"\$\{SERVICE\}|\$SERVICE\b", service, text)
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        match = INSTRUCTION.match(pending + line)
        assert match, f"{path}: cannot read {pending + line!r}"
        result.append((match.group(1), match.group(2).strip()))
        pending = ""
    return result


def copy_sources(args: str) -> list[str] | None:
    """The sources of one COPY, or None when it copies from another build stage."""
    words = args.split()
    if any(w.startswith("--from=") for w in words):
        return None
    words = [w for w in words if not w.startswith("--")]
    return words[:-1]


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    path = path.rstrip("/")
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        parts = Path(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pattern) for p in prefixes):
            return True
        if pattern.startswith("**/") and any(fnmatch.fnmatch(part, bare) for part in parts):
            return True
    return False


def copied(name: str) -> list[str]:
    """The local sources the image of service `name` copies."""
    copies = [copy_sources(args) for kind, args in instructions(DOCKERFILE, name) if kind in ("COPY", "ADD")]
    return [source for sources in copies if sources is not None for source in sources]


# Beside its own package, every image holds the launcher's registry and the migrations command.
COMMON_SERVICES_MODULES = {"services/__init__.py", "services/registry.py", "services/migrate.py"}


def test_there_is_one_dockerfile_and_it_takes_the_service_as_a_build_argument():
    found = sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("Dockerfile*")
                   if ".venv" not in p.parts and ".git" not in p.parts)
    assert found == ["Dockerfile"]
    steps = instructions(DOCKERFILE)
    final_stage = steps[max(i for i, (kind, _) in enumerate(steps) if kind == "FROM"):]
    assert ("ARG", "SERVICE") in final_stage
    # Built without it, the image would hold every service: the build refuses.
    assert any(kind == "RUN" and 'test -n "$SERVICE"' in args for kind, args in final_stage)


@pytest.mark.parametrize("name", SERVICES)
def test_copy_sources_exist_and_are_not_ignored(name):
    patterns = dockerignore_patterns()
    local = copied(name)
    assert local, "no COPY of the code"
    for source in local:
        assert (ROOT / source).exists(), f"{DOCKERFILE} ({name}): COPY source {source} does not exist"
        assert not ignored(source, patterns), f"{DOCKERFILE} ({name}): {source} is excluded by .dockerignore"
    # Only this service, the shared library, and the deploy helpers: no other service's code.
    service_sources = {s.rstrip("/") for s in local if s.startswith("services")}
    assert service_sources == COMMON_SERVICES_MODULES | {f"services/{name}"}
    assert "shared/" in local and "requirements.txt" in local


def test_dockerignore_keeps_the_context_small():
    patterns = dockerignore_patterns()
    for heavy in (".venv", ".git", "data", "tests", "services/tickets/__pycache__"):
        assert ignored(heavy, patterns), heavy
    for needed in ("shared/db.py", "services/tickets/app.py", "services/registry.py", "services/migrate.py",
                   "deploy/gunicorn.conf.py", "requirements.txt"):
        assert not ignored(needed, patterns), needed


def gunicorn_settings(**env) -> dict:
    """deploy/gunicorn.conf.py as a container with this environment reads it."""
    script = ("import runpy, json; c = runpy.run_path('deploy/gunicorn.conf.py'); "
              "print(json.dumps({k: c[k] for k in ('wsgi_app', 'threads', 'worker_class', 'proc_name')}))")
    clean = {key: value for key, value in os.environ.items() if not key.startswith("GUNICORN_")}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**clean, **env}, capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("name", SERVICES)
def test_image_runs_gunicorn_as_a_non_root_user_with_a_healthcheck(name):
    steps = instructions(DOCKERFILE, name)
    kinds = [kind for kind, _ in steps]
    bases = [args for kind, args in steps if kind == "FROM"]
    assert all(re.match(r"python:3\.11-slim", base) for base in bases), bases
    user = [args for kind, args in steps if kind == "USER"]
    assert user and user[-1].split(":")[0] not in ("root", "0"), "the image must not run as root"
    assert kinds.index("USER") > max(i for i, k in enumerate(kinds) if k in ("RUN", "COPY"))
    healthcheck = [args for kind, args in steps if kind == "HEALTHCHECK"]
    assert healthcheck and "deploy/healthcheck.py" in healthcheck[0]
    command = [args for kind, args in steps if kind == "CMD"][-1]
    assert command == '["gunicorn", "--config", "deploy/gunicorn.conf.py"]'
    assert f"SERVICE_NAME={name}" in " ".join(args for kind, args in steps if kind == "ENV")
    # The command names no app: the configuration serves the image's service.
    assert gunicorn_settings(SERVICE_NAME=name)["wsgi_app"] == f"services.{name}.app:create_app()"


@pytest.mark.parametrize("name", ["notifications", "tickets", "gateway"])
def test_streaming_images_use_threaded_workers(name):
    """Each open stream (notifications, live chats, the gateway relaying both) holds a thread."""
    settings = gunicorn_settings(SERVICE_NAME=name)
    assert settings["worker_class"] == "gthread"
    assert settings["threads"] >= 16
    assert gunicorn_settings(SERVICE_NAME=name, GUNICORN_THREADS="5")["threads"] == 5


@functools.cache
def package_owners() -> dict:
    return importlib.metadata.packages_distributions()


@functools.cache
def runtime_distributions() -> frozenset[str]:
    """requirements.txt and everything those packages need, as installed here (normalised names)."""
    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    pending = []
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            pending.append(Requirement(line).name)
    seen: set[str] = set()
    while pending:
        name = norm(pending.pop())
        if name in seen:
            continue
        seen.add(name)
        for spec in importlib.metadata.requires(name) or []:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return frozenset(seen)


@functools.cache
def imported_modules(folder: Path) -> frozenset[str]:
    return imported_files(*folder.rglob("*.py"))


def imported_files(*paths: Path) -> frozenset[str]:
    modules = set()
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module)
    return frozenset(modules)


@pytest.mark.parametrize("name", SERVICES)
def test_everything_the_service_imports_is_in_its_image(name):
    folder = ROOT / "services" / name
    if not (folder / "app.py").exists():
        pytest.fail(f"services/{name} has no app.py yet: its image would not start")
    runtime = runtime_distributions()
    owners = package_owners()
    image = {source.rstrip("/") for source in copied(name)}
    common = [ROOT / source for source in COMMON_SERVICES_MODULES]
    for module in imported_modules(folder) | imported_modules(ROOT / "shared") | imported_files(*common):
        top = module.split(".")[0]
        if top == "services":
            parts = module.split(".")
            assert (len(parts) == 1 or parts[1] == name or f"services/{parts[1]}.py" in image), (
                f"services/{name} imports {module}: not in its image")
        elif top in ("shared", "__future__") or top in sys.stdlib_module_names:
            continue
        else:
            distributions = {re.sub(r"[-_.]+", "-", d).lower() for d in owners.get(top, [])}
            assert distributions, f"{module} (imported by services/{name} or shared/) is not installed"
            assert distributions & runtime, f"{module} comes from {distributions}, not from requirements.txt"
