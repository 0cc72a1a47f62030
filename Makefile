# The two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export PYTHONPATH := $(CURDIR)

.PHONY: run test test-chaos venv install test-unit create-agent bench bench-load lint clean run-services migrate dlq-list dlq-replay screenshots lighthouse

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

venv install: $(VENV)/.installed

## make run: the whole product on the embedded default (gateway on :8000).
run: $(VENV)/.installed
	$(PY) -m services run

## make test: the whole suite, on SQLite and on PostgreSQL, with RabbitMQ, in TEST_PROCESSES processes
## (pytest-xdist; a test file runs whole in one of them, so a module's product starts once; the files in
## the order tests/conftest.py gives them, those that start a whole product first, not xdist's most-tests-first).
TEST_PROCESSES ?= 2
test: $(VENV)/.installed
	$(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder --durations=25

## make test-chaos: only the chaos tests (pytest marker `chaos`, also part of `make test`): a RabbitMQ node and a
## PostgreSQL server of the tests' own stopped under load, workers and the video scheduler SIGKILLed mid-burst,
## an SMTP outage, poison messages parked and replayed. README.md, "Chaos tests", lists them.
test-chaos: $(VENV)/.installed
	$(PY) -m pytest -m chaos -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder

test-unit: $(VENV)/.installed
	$(PY) -m pytest -m "not e2e"

## make run-services: every service as its own gunicorn process and every worker as its own
## process, all forked from one parent (deploy/processes.py, kept running by deploy/respawn.py),
## against this machine's RabbitMQ and PostgreSQL; their JSON log lines name each in `process`.
## Each variable below may be overridden, e.g. `make run-services DATABASE_URL=postgresql://...`;
## a process that dies is forked again; PROCESSES="gateway tickets tickets-worker" starts some;
## a file RUN_SERVICES_ENV_FILE (.env.services), when present, sets more (its values win).
RUN_SERVICES_ENV_FILE ?= .env.services
run-services: export PATH := $(abspath $(VENV))/bin:$(PATH)
run-services: export DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
run-services: export AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672//
run-services: export DATA_DIR ?= $(CURDIR)/data/services
run-services: export GATEWAY_PORT ?= 8000
run-services: export TICKETS_PORT ?= 8101
run-services: export NOTIFICATIONS_PORT ?= 8102
run-services: export VIDEO_PORT ?= 8103
run-services: export REFERRALS_PORT ?= 8104
run-services: export TICKETS_URL ?= http://127.0.0.1:$(TICKETS_PORT)
run-services: export NOTIFICATIONS_URL ?= http://127.0.0.1:$(NOTIFICATIONS_PORT)
run-services: export VIDEO_URL ?= http://127.0.0.1:$(VIDEO_PORT)
run-services: export REFERRALS_URL ?= http://127.0.0.1:$(REFERRALS_PORT)
run-services: export PUBLIC_URL ?= http://127.0.0.1:$(GATEWAY_PORT)
run-services: export GUNICORN_WORKERS ?= 2
run-services: $(VENV)/.installed
	$(PY) deploy/local_secrets.py
	RUN_SERVICES_ENV_FILE=$(RUN_SERVICES_ENV_FILE) exec $(PY) deploy/respawn.py app -- $(PY) -m deploy.processes $(PROCESSES)

## make migrate [SERVICE=tickets]: apply pending migrations (every service by default).
migrate: $(VENV)/.installed
	$(PY) -m services.migrate $(or $(SERVICE),all)

## make create-agent EMAIL=... PASSWORD=... [TIER=senior] [DEPARTMENT=...] [NAME=...] [EDITOR=1] [SUPERVISOR=1]
create-agent: $(VENV)/.installed
	@test -n "$(EMAIL)" -a -n "$(PASSWORD)" || (echo "usage: make create-agent EMAIL=... PASSWORD=... [TIER=senior] [DEPARTMENT=...]"; exit 2)
	$(PY) -m services.gateway.cli create-agent --email "$(EMAIL)" --password "$(PASSWORD)" \
		--tier "$(or $(TIER),standard)" $(if $(DEPARTMENT),--department "$(DEPARTMENT)") $(if $(NAME),--name "$(NAME)") \
		$(if $(EDITOR),--editor) $(if $(SUPERVISOR),--supervisor)

## make bench: the benchmarks in bench/, printing their figures.
bench: $(VENV)/.installed
	$(PY) bench/gateway_overhead.py
	$(PY) bench/ticket_list_pages.py
	$(PY) bench/notifications_throughput.py
	$(PY) bench/assignment_burst.py
	$(PY) bench/presence_heartbeats.py
	$(PY) bench/agent_search.py
	$(PY) bench/sla_reports.py

## make bench-load [TARGET=services|run] [ARGS="--headline"]: the load benchmark (bench/load.py): it starts
## `make run-services` (or `make run`) afresh and drives mixed customer and agent traffic at 1, 8 and 32 clients.
bench-load: $(VENV)/.installed
	$(PY) bench/load.py --target $(or $(TARGET),services) $(ARGS)

## make screenshots: the main pages in three languages at desktop and phone size, into docs/screenshots/
## (tests/web/screenshots.py starts the product and drives headless Chromium).
screenshots: $(VENV)/.installed
	$(PY) tests/web/screenshots.py

## make lighthouse: Lighthouse's accessibility, best-practices and CLS figures for the main pages, desktop
## and phone (bench/lighthouse.py starts the product; skipped with a hint when Lighthouse is not installed;
## LIGHTHOUSE=/path/to/lighthouse picks one). Not part of `make test`.
lighthouse: $(VENV)/.installed
	$(PY) bench/lighthouse.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) data .pytest_cache

## make dlq-list QUEUE=notifications.email [LIMIT=20]: the messages parked in a queue's dead-letter queue.
## make dlq-replay QUEUE=notifications.email [LIMIT=...]: move them back to the queue (idempotent consumers).
## Uses AMQP_URL, EVENT_EXCHANGE and QUEUE_PREFIX as the services do.
.PHONY: dlq-list dlq-replay
dlq-list: $(VENV)/.installed
	@test -n "$(QUEUE)" || (echo "usage: make dlq-list QUEUE=notifications.email [LIMIT=20]"; exit 2)
	$(PY) -m shared.dlq list --queue "$(QUEUE)" $(if $(LIMIT),--limit $(LIMIT))

dlq-replay: $(VENV)/.installed
	@test -n "$(QUEUE)" || (echo "usage: make dlq-replay QUEUE=notifications.email [LIMIT=...]"; exit 2)
	$(PY) -m shared.dlq replay --queue "$(QUEUE)" $(if $(LIMIT),--limit $(LIMIT))
