"""Each service's Dockerfile, checked offline (no Docker engine here): what it copies
exists and is not ignored, it holds that service and shared/ only, runs as a
non-root user with gunicorn by default and a HEALTHCHECK, and everything the
service imports is in that image."""
from __future__ import annotations

import ast
import fnmatch
import functools
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.deploy.conftest import ROOT, SERVICES

INSTRUCTION = re.compile(r"^([A-Z]+)\s+(.*)$", re.S)


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    result, pending = [], ""
    for raw in path.read_text(encoding="utf-8").splitlines():
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


@pytest.mark.parametrize("name", SERVICES)
def test_copy_sources_exist_and_are_not_ignored(name):
    dockerfile = ROOT / "services" / name / "Dockerfile"
    patterns = dockerignore_patterns()
    copies = [copy_sources(args) for kind, args in instructions(dockerfile) if kind in ("COPY", "ADD")]
    local = [source for sources in copies if sources is not None for source in sources]
    assert local, "no COPY of the code"
    for source in local:
        assert (ROOT / source).exists(), f"{dockerfile}: COPY source {source} does not exist"
        assert not ignored(source, patterns), f"{dockerfile}: {source} is excluded by .dockerignore"
    # Only this service, the shared library, and the deploy helpers: no other service's code.
    service_sources = {s.rstrip("/") for s in local if s.startswith("services")}
    assert service_sources == {"services/__init__.py", f"services/{name}"}
    assert "shared/" in local and "requirements.txt" in local


def test_dockerignore_keeps_the_context_small():
    patterns = dockerignore_patterns()
    for heavy in (".venv", ".git", "data", "tests", "services/tickets/__pycache__"):
        assert ignored(heavy, patterns), heavy
    for needed in ("shared/db.py", "services/tickets/app.py", "deploy/gunicorn.conf.py", "requirements.txt"):
        assert not ignored(needed, patterns), needed


@pytest.mark.parametrize("name", SERVICES)
def test_image_runs_gunicorn_as_a_non_root_user_with_a_healthcheck(name):
    steps = instructions(ROOT / "services" / name / "Dockerfile")
    kinds = [kind for kind, _ in steps]
    bases = [args for kind, args in steps if kind == "FROM"]
    assert all(re.match(r"python:3\.11-slim", base) for base in bases), bases
    user = [args for kind, args in steps if kind == "USER"]
    assert user and user[-1].split(":")[0] not in ("root", "0"), "the image must not run as root"
    assert kinds.index("USER") > max(i for i, k in enumerate(kinds) if k in ("RUN", "COPY"))
    healthcheck = [args for kind, args in steps if kind == "HEALTHCHECK"]
    assert healthcheck and "deploy/healthcheck.py" in healthcheck[0]
    command = [args for kind, args in steps if kind == "CMD"][-1]
    assert command == ('["gunicorn", "--config", "deploy/gunicorn.conf.py", '
                       f'"services.{name}.app:create_app()"]')
    assert f"SERVICE_NAME={name}" in " ".join(args for kind, args in steps if kind == "ENV")


def test_notifications_image_uses_threaded_workers():
    environment = " ".join(args for kind, args in instructions(ROOT / "services/notifications/Dockerfile")
                           if kind == "ENV")
    assert "GUNICORN_WORKER_CLASS=gthread" in environment
    threads = int(re.search(r"GUNICORN_THREADS=(\d+)", environment).group(1))
    assert threads >= 16


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
    modules = set()
    for path in folder.rglob("*.py"):
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
    for module in imported_modules(folder) | imported_modules(ROOT / "shared"):
        top = module.split(".")[0]
        if top == "services":
            parts = module.split(".")
            assert len(parts) == 1 or parts[1] == name, f"services/{name} imports {module}: not in its image"
        elif top in ("shared", "__future__") or top in sys.stdlib_module_names:
            continue
        else:
            distributions = {re.sub(r"[-_.]+", "-", d).lower() for d in owners.get(top, [])}
            assert distributions, f"{module} (imported by services/{name} or shared/) is not installed"
            assert distributions & runtime, f"{module} comes from {distributions}, not from requirements.txt"
