"""The pieces the containers and the local multi-process run are made of, each run
for real: gunicorn with deploy/gunicorn.conf.py, the health checks, the respawner,
`python -m services.migrate`, the PostgreSQL init script and the local secrets."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import psutil
import psycopg2
import pytest
import requests

from tests.deploy.conftest import ROOT
from tests.support import AMQP_URL, PG_URL, drop_pg_schema, free_port, sigterm_burst, unique

PYTHON = sys.executable


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL") and k != "AMQP_URL"}
    env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", **extra)
    return env


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out")


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> int:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            return process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait(5)
    return process.returncode


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            lines.append(json.loads(line))
    return lines


def test_gunicorn_serves_a_service_with_json_logs_and_the_healthchecks_follow_it(tmp_path):
    port = free_port()
    env = clean_env(DATA_DIR=str(tmp_path), PORT=str(port), GUNICORN_WORKERS="1", GUNICORN_THREADS="4",
                    SERVICE_NAME="tickets")
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        # As the image runs it: the configuration serves SERVICE_NAME's app.
        server = subprocess.Popen([PYTHON, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"], cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def healthy():
            with contextlib.suppress(requests.RequestException):
                return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        wait_until(healthy, timeout=30)
        check = subprocess.run([PYTHON, "deploy/healthcheck.py", "http"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stdout
        refused = requests.get(f"http://127.0.0.1:{port}/api/v1/tickets?t=secret-link-token", timeout=5)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "not_authenticated"
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
    finally:
        assert stop(server) == 0
    records = json_lines(log_path.read_text())
    assert any(r.get("message", "").startswith("Listening at") for r in records), log_path.read_text()[-2000:]
    access = [r for r in records if r.get("logger") == "gunicorn.access"]
    assert [(r["method"], r["path"], r["status"]) for r in access] == [("GET", "/api/v1/tickets", 401)]
    assert "secret-link-token" not in log_path.read_text(), "a query string reached the log"
    assert any("Using worker: gthread" in r.get("message", "") for r in records)
    after = subprocess.run([PYTHON, "deploy/healthcheck.py", "http"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=30)
    assert after.returncode == 1 and json.loads(after.stdout)["message"] == "unhealthy"


def test_gunicorn_settings_come_from_the_environment():
    script = ("import runpy, json; c = runpy.run_path('deploy/gunicorn.conf.py'); "
              "print(json.dumps({k: c[k] for k in ('bind', 'workers', 'threads', 'worker_class', "
              "'control_socket_disable', 'accesslog')}))")
    env = clean_env(PORT="9123", GUNICORN_WORKERS="3", GUNICORN_THREADS="40", GUNICORN_ACCESS_LOG="false")
    env.pop("GUNICORN_BIND", None)
    out = subprocess.run([PYTHON, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"bind": "0.0.0.0:9123", "workers": 3, "threads": 40,
                                      "worker_class": "gthread", "control_socket_disable": True,
                                      "accesslog": None}


def test_the_preloading_master_serves_healthz_once_before_its_workers_fork(monkeypatch):
    """What a Flask app builds at its first request is then built in the master and shared by the workers
    (issue 23); a warm-up that fails is logged and the master goes on."""
    import logging
    import runpy
    import types

    from flask import Flask

    # The settings file sets PROMETHEUS_MULTIPROC_DIR for gunicorn's processes: not for this test process and the
    # ones its later tests start (prometheus_client would look for files in a folder that is not there).
    monkeypatch.setattr(os, "environ", dict(os.environ))
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    app, served = Flask("warm"), []

    @app.get("/healthz")
    def healthz():
        served.append(os.getpid())
        return {"status": "ok"}

    server = types.SimpleNamespace(app=types.SimpleNamespace(wsgi=lambda: app), log=logging.getLogger("warm-up"))
    config["when_ready"](server)
    assert served == [os.getpid()]

    broken = Flask("broken")

    @broken.get("/healthz")
    def fails():
        raise RuntimeError("no database")

    def raises(_environ, _start_response):
        raise RuntimeError("no database")

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    server.log.addHandler(handler)
    try:
        config["warm_up"](broken, server.log)
        config["warm_up"](raises, server.log)
    finally:
        server.log.removeHandler(handler)
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (logging.WARNING, "warm-up request answered 500"), (logging.WARNING, "warm-up request failed: no database")]


def test_worker_healthcheck_looks_at_the_broker_and_the_database():
    def run(**env):
        return subprocess.run([PYTHON, "deploy/healthcheck.py", "worker"], cwd=ROOT, env=clean_env(**env),
                              capture_output=True, text=True, timeout=30)

    healthy = run(AMQP_URL=AMQP_URL, DATABASE_URL=PG_URL)
    assert healthy.returncode == 0, healthy.stdout
    report = json.loads(healthy.stdout)
    assert report["broker"]["ok"] and report["database"]["ok"]
    closed = free_port()
    broken = run(AMQP_URL=f"amqp://guest:guest@127.0.0.1:{closed}//", SERVICE_NAME="tickets",
                 TICKETS_DATABASE_URL=PG_URL)
    assert broken.returncode == 1
    report = json.loads(broken.stdout)
    assert report["broker"]["ok"] is False and report["database"]["ok"] is True
    assert "guest" not in broken.stdout, "credentials in the health check's output"
    started = time.monotonic()
    waited = subprocess.run([PYTHON, "deploy/healthcheck.py", "worker", "--wait", "1.5"], cwd=ROOT,
                            env=clean_env(AMQP_URL=f"amqp://guest:guest@127.0.0.1:{closed}//"),
                            capture_output=True, text=True, timeout=30)
    assert waited.returncode == 1 and time.monotonic() - started >= 1.5


def test_respawn_restarts_a_dead_process_and_stops_on_sigterm(tmp_path):
    env = clean_env(RESPAWN_DELAY="0.2")
    log_path = tmp_path / "respawn.log"
    with open(log_path, "w") as log:
        supervisor = subprocess.Popen([PYTHON, "deploy/respawn.py", "sleeper", "--", PYTHON, "-c",
                                       "import time; time.sleep(120)"], cwd=ROOT, env=env, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)

    def started():
        return [r["pid"] for r in json_lines(log_path.read_text()) if r.get("message") == "process started"]

    try:
        first = wait_until(started)[0]
        os.killpg(first, signal.SIGKILL)
        pids = wait_until(lambda: started() if len(started()) >= 2 else None)
        assert pids[1] != first
        exited = [r for r in json_lines(log_path.read_text()) if r.get("message", "").startswith("process exited")]
        assert exited[0]["returncode"] == -signal.SIGKILL
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(10) == 0
        with pytest.raises(ProcessLookupError):
            os.kill(pids[1], 0)
        assert len(started()) == 2, "started again after SIGTERM"
    finally:
        stop(supervisor, signal.SIGKILL)


def test_respawn_stops_when_sigterm_comes_again_while_it_handles_the_first(tmp_path):
    """`make run-services` stopped by a signal to its process group: the respawner gets SIGTERM from the
    group and again from make, the second while it handles the first. It stops, and its child with it
    (it once hung there with the whole product running)."""
    log_path = tmp_path / "respawn.log"
    for _ in range(10):
        with open(log_path, "w") as log:
            supervisor = subprocess.Popen([PYTHON, "deploy/respawn.py", "sleeper", "--", PYTHON, "-c",
                                           "import time; time.sleep(120)"], cwd=ROOT, env=clean_env(), stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        try:
            child = wait_until(lambda: [r["pid"] for r in json_lines(log_path.read_text())
                                        if r.get("message") == "process started"])[0]
            sigterm_burst(supervisor)
            # It stopped (a signal after it logged its stop may end the interpreter's own exit).
            assert supervisor.wait(15) in (0, -signal.SIGTERM)
            with pytest.raises(ProcessLookupError):
                os.kill(child, 0)
            assert [r["message"] for r in json_lines(log_path.read_text())][-1] == "process stopped"
        finally:
            stop(supervisor, signal.SIGKILL)


@pytest.mark.rabbitmq
def test_forked_processes_serve_and_work_and_all_stop_on_sigterm(tmp_path):
    port = free_port()
    prefix = f"test-forked-{uuid.uuid4().hex[:8]}."
    # The port from the env file (`.env.services` by default), over the environment's.
    (tmp_path / "services.env").write_text(f"VIDEO_PORT={port}\n")
    env = clean_env(AMQP_URL=AMQP_URL, DATA_DIR=str(tmp_path / "data"), QUEUE_PREFIX=prefix, VIDEO_PORT="1",
                    EVENT_EXCHANGE=f"test.forked.{uuid.uuid4().hex[:8]}", RESPAWN_DELAY="0.2", GUNICORN_WORKERS="3",
                    PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
                    RUN_SERVICES_ENV_FILE=str(tmp_path / "services.env"))
    log_path = tmp_path / "processes.log"
    with open(log_path, "w") as log:
        parent = subprocess.Popen([PYTHON, "-m", "deploy.processes", "video", "video-worker", "referrals-worker"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def all_started():
            records = json_lines(log_path.read_text())
            found = {r["process"]: r["pid"] for r in records if r.get("message") == "worker started"}
            found.update({r["process"]: int(r["message"].rsplit("(", 1)[1].rstrip(")")) for r in records
                          if str(r.get("message", "")).startswith("Listening at")})
            return found if len(found) == 3 else None

        pids = wait_until(all_started, timeout=60)
        assert set(pids) == {"video", "video-worker", "referrals-worker"}
        started = {r["process"]: r["pid"] for r in json_lines(log_path.read_text())
                   if r.get("message") == "process started"}
        assert started == pids  # each process's own lines (gunicorn's too) name it, as the parent's do
        assert all(psutil.Process(pid).ppid() == parent.pid for pid in pids.values()), "not children of the parent"
        assert all(os.getpgid(pid) == pid for pid in pids.values()), "each leads its own process group"
        assert psutil.Process(pids["video"]).name() == "video" and len(psutil.Process(pids["video"]).children()) == 1
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok",
                                                                                     "service": "video"}
        # One gunicorn worker (not GUNICORN_WORKERS), and its metric values in the process's own directory.
        assert requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 200
        assert {p.name for p in (tmp_path / "metrics").iterdir()} == set(pids)
        gunicorn_worker = psutil.Process(pids["video"]).children()[0].pid
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(30) == 0
        records = json_lines(log_path.read_text())
        assert {r["process"] for r in records if r.get("message") == "worker stopped"} == {"video-worker",
                                                                                            "referrals-worker"}
        for pid in (*pids.values(), gunicorn_worker):
            wait_until(lambda pid=pid: not psutil.pid_exists(pid), timeout=10)
    finally:
        stop(parent, signal.SIGKILL)
        from bench.product import delete_queues

        delete_queues(env, AMQP_URL)


def test_forked_processes_refuse_a_process_that_does_not_exist():
    run = subprocess.run([PYTHON, "-m", "deploy.processes", "tickets-worker", "wallet"], cwd=ROOT, env=clean_env(),
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "no such process: wallet" in run.stderr


def migrate(*args, env):
    return subprocess.run([PYTHON, "-m", "services.migrate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.postgres
def test_migrate_command_checks_and_applies(tmp_path, monkeypatch, capsys):
    from services import migrate as migrate_module

    schema = unique("deploy")
    url = f"{PG_URL}?schema={schema}"
    monkeypatch.setenv("TICKETS_DATABASE_URL", url)
    try:
        assert migrate_module.main(["tickets", "--check"]) == 1
        names = json.loads(capsys.readouterr().out)["pending"]["tickets"]
        assert names and names[0] == "0001_initial"
        applied = migrate("tickets", env=clean_env(DATA_DIR=str(tmp_path), TICKETS_DATABASE_URL=url))
        assert applied.returncode == 0, applied.stderr
        assert json.loads(applied.stdout.splitlines()[-1])["applied"] == names
        assert migrate_module.main(["tickets", "--check", "--wait", "5"]) == 0
        assert migrate_module.pending("tickets") == []
    finally:
        drop_pg_schema(schema)


@pytest.mark.postgres
def test_migrate_all_brings_every_service_up_to_date(tmp_path, monkeypatch):
    """What the Kubernetes Job and `make migrate` do, each service in a schema of its own."""
    from services import migrate as migrate_module
    from tests.deploy.conftest import SERVICES

    schemas = {name: unique(f"deploy_{name}") for name in SERVICES}
    urls = {f"{name.upper()}_DATABASE_URL": f"{PG_URL}?schema={schema}" for name, schema in schemas.items()}
    try:
        result = migrate("all", env=clean_env(DATA_DIR=str(tmp_path), **urls))
        assert result.returncode == 0, result.stderr
        reports = [json.loads(line) for line in result.stdout.splitlines()]
        assert [r["service"] for r in reports] == list(SERVICES)
        assert all(r["applied"] and r["applied"][0] == "0001_initial" for r in reports)
        for key, url in urls.items():
            monkeypatch.setenv(key, url)
        assert {name: migrate_module.pending(name) for name in SERVICES} == {name: [] for name in SERVICES}
    finally:
        for schema in schemas.values():
            drop_pg_schema(schema)


def test_migrate_check_gives_up_after_its_wait(tmp_path):
    env = clean_env(DATA_DIR=str(tmp_path), VIDEO_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/x")
    started = time.monotonic()
    result = migrate("video", "--check", "--wait", "1", env=env)
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]
    assert time.monotonic() - started < 30


@pytest.mark.postgres
def test_postgres_init_script_makes_a_private_database_per_service():
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    suffix = uuid.uuid4().hex[:8]
    name, stranger = f"deploy_svc_{suffix}", f"deploy_other_{suffix}"
    env = clean_env(POSTGRES_USER="postgres", PGHOST="127.0.0.1", SERVICE_DATABASES=name,
                    **{f"{name.upper()}_DB_PASSWORD": "pw-" + name})
    try:
        admin_sql(f'CREATE ROLE "{stranger}" LOGIN')  # another service's role, as the script would make it
        result = subprocess.run(["sh", "deploy/postgres/init-databases.sh"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        with contextlib.closing(psycopg2.connect(host="127.0.0.1", user=name, dbname=name)) as own:
            with own.cursor() as cur:
                cur.execute("SELECT current_user, pg_catalog.pg_get_userbyid(datdba) FROM pg_database "
                            "WHERE datname = current_database()")
                assert cur.fetchone() == (name, name)
                cur.execute("CREATE SCHEMA service_tables")  # what shared/db.py does on the first migration
        with pytest.raises(psycopg2.OperationalError, match="permission denied"):
            psycopg2.connect(host="127.0.0.1", user=stranger, dbname=name).close()
        missing = subprocess.run(["sh", "deploy/postgres/init-databases.sh"], cwd=ROOT,
                                 env={**env, "SERVICE_DATABASES": "nopassword"}, capture_output=True, text=True)
        assert missing.returncode == 1 and "NOPASSWORD_DB_PASSWORD is not set" in missing.stderr
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for role in (name, stranger):
            admin_sql(f'DROP ROLE IF EXISTS "{role}"')


def admin_sql(statement: str) -> None:
    with contextlib.closing(psycopg2.connect(PG_URL)) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(statement)


def test_local_secrets_are_made_once_before_the_processes_start(tmp_path):
    from deploy.local_secrets import secret_names

    names = secret_names()
    assert {"INTERNAL_TOKEN_SECRET", "GUEST_LINK_SECRET", "GUEST_TOKEN_SECRET",
            "INTEGRATION_WEBHOOK_SECRET"} <= set(names)
    env = clean_env(DATA_DIR=str(tmp_path), GUEST_TOKEN_SECRET="from-the-environment")
    for name in names:
        if name != "GUEST_TOKEN_SECRET":
            env.pop(name, None)
    first = subprocess.run([PYTHON, "deploy/local_secrets.py"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    made = {p.name: p.read_text() for p in (tmp_path / "secrets").iterdir()}
    assert "guest_token_secret" not in made, "a secret set in the environment was written to disk"
    assert set(made) == {n.lower() for n in names} - {"guest_token_secret"}
    assert all(len(value) >= 32 for value in made.values())
    subprocess.run([PYTHON, "deploy/local_secrets.py"], cwd=ROOT, env=env, check=True, capture_output=True)
    assert {p.name: p.read_text() for p in (tmp_path / "secrets").iterdir()} == made
    assert "from-the-environment" not in first.stdout and not any(v in first.stdout for v in made.values())
