"""`make create-agent`, the way ops call it."""
import os
import sqlite3
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_create_agent_makes_a_senior_agent(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.update(DATA_DIR=str(tmp_path), PASSWORD_HASH_MEMORY_KIB="1024")
    result = subprocess.run(["make", "-s", "create-agent", "EMAIL=lead@support.example", "PASSWORD=a strong password",
                             "TIER=senior", "DEPARTMENT=compliance"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lead@support.example" in result.stdout
    with sqlite3.connect(tmp_path / "gateway.db") as conn:
        row = conn.execute("SELECT role, tier, department FROM account WHERE email = ?",
                           ("lead@support.example",)).fetchone()
    assert row == ("agent", "senior", "compliance")
    usage = subprocess.run(["make", "-s", "create-agent"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert usage.returncode != 0 and "usage" in usage.stdout


def test_make_create_agent_with_supervisor_gives_the_role(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.update(DATA_DIR=str(tmp_path), PASSWORD_HASH_MEMORY_KIB="1024")
    result = subprocess.run(["make", "-s", "create-agent", "EMAIL=boss@support.example", "PASSWORD=a strong password",
                             "SUPERVISOR=1", "EDITOR=1"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "supervisor" in result.stdout
    with sqlite3.connect(tmp_path / "gateway.db") as conn:
        roles = conn.execute("SELECT roles FROM account WHERE email = ?", ("boss@support.example",)).fetchone()[0]
    assert sorted(roles.split(",")) == ["editor", "supervisor"]
