# The two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export PYTHONPATH := $(CURDIR)

.PHONY: run test venv install test-unit test-postgres create-agent bench lint clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

venv install: $(VENV)/.installed

## make run: the whole product on the embedded default (gateway on :8000).
run: $(VENV)/.installed
	$(PY) -m services run

## make test: the whole suite, on SQLite and on PostgreSQL, with RabbitMQ.
test: $(VENV)/.installed
	$(PY) -m pytest

test-unit: $(VENV)/.installed
	$(PY) -m pytest -m "not e2e"

## make create-agent EMAIL=... PASSWORD=... [TIER=senior] [DEPARTMENT=...] [NAME=...]
create-agent: $(VENV)/.installed
	@test -n "$(EMAIL)" -a -n "$(PASSWORD)" || (echo "usage: make create-agent EMAIL=... PASSWORD=... [TIER=senior] [DEPARTMENT=...]"; exit 2)
	$(PY) -m services.gateway.cli create-agent --email "$(EMAIL)" --password "$(PASSWORD)" \
		--tier "$(or $(TIER),standard)" $(if $(DEPARTMENT),--department "$(DEPARTMENT)") $(if $(NAME),--name "$(NAME)")

## make bench: the benchmarks in bench/, printing their figures.
bench: $(VENV)/.installed
	$(PY) bench/gateway_overhead.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) data .pytest_cache
