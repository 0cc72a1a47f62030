"""Make the local run's secrets under DATA_DIR once, before its processes start.

    python deploy/local_secrets.py

`shared.config.secret(NAME)` makes a secret the first time a process asks for one
that the environment does not set. When ten processes of `make run-services` start
at once, one of them could read the file another has created but not yet written;
making every secret here first removes that window. The names are found in the
code (every `secret("NAME")` call), so a service that adds one needs no change here.
A secret set in the environment is left alone, as `secret()` does.
"""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def secrets_in_module(path: Path) -> set[str]:
    """Names passed to `secret(...)` in one module: a string, or a module constant holding one."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    constants = {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                 for target in node.targets if isinstance(target, ast.Name)}
    names = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        function = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if function != "secret":
            continue
        argument = node.args[0]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            names.add(argument.value)
        elif isinstance(argument, ast.Name) and argument.id in constants:
            names.add(constants[argument.id])
    return names


def secret_names(*folders: Path) -> list[str]:
    """Every secret the code in `folders` (services/ and shared/ by default) reads."""
    names: set[str] = set()
    for folder in folders or (ROOT / "services", ROOT / "shared"):
        for path in folder.rglob("*.py"):
            names |= secrets_in_module(path)
    return sorted(names)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from shared.config import data_dir, secret

    names = secret_names()
    for name in names:
        secret(name)
    print(json.dumps({"message": "local secrets ready", "names": names, "data_dir": str(data_dir())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
