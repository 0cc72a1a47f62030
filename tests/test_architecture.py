"""The house's shape, checked from the source: no import circles, services that do not
import each other, a shared library that names no service, the environment read only
in `config.py` files, small modules, one Dockerfile."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 300
ENV_READERS = {"env_str", "env_int", "env_bool", "env_float", "env_list", "secret", "getenv", "environ"}
SERVICE_NAMES = {p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists()}


def modules() -> dict[str, Path]:
    found = {}
    for top in ("services", "shared"):
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported_names(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules `name` imports (at any level of the file, deferred imports too)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        targets.update(c for c in candidates if c in known and c != name)
    return targets


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported_names(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_circles():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_service_imports_another_and_shared_names_none():
    wrong = []
    for name, targets in import_graph().items():
        parts = name.split(".")
        own = parts[1] if parts[0] == "services" and len(parts) > 1 else None
        for target in targets:
            target_parts = target.split(".")
            if target_parts[0] != "services" or len(target_parts) < 2 or target_parts[1] not in SERVICE_NAMES:
                continue
            if parts[0] == "shared" or (own in SERVICE_NAMES and target_parts[1] != own):
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_shared_names_no_service_in_its_code():
    """No string in `shared/`'s code is a service's name or its package (docstrings may give examples)."""
    named = []
    for path in (ROOT / "shared").rglob("*.py"):
        tree = ast.parse(path.read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if node.value in SERVICE_NAMES or node.value.startswith("services."):
                    named.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert named == []


def env_reads(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called in ENV_READERS:
                lines.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr == "environ" and getattr(node.value, "id", None) == "os":
            lines.append(node.lineno)
    return lines


def test_the_environment_is_read_only_in_config_modules():
    readers = [f"{path.relative_to(ROOT)}:{line}" for path in modules().values() if path.name != "config.py"
               for line in env_reads(path)]
    assert readers == []


def test_modules_stay_small():
    big = {str(path.relative_to(ROOT)): n for path in modules().values()
           if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert big == {}


def test_one_dockerfile():
    dockerfiles = sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("Dockerfile*")
                         if ".venv" not in p.parts and ".git" not in p.parts)
    assert len(dockerfiles) == 1, dockerfiles
