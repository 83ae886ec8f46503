# Everyday commands. `make run` starts the portal with its demo data; `make test` runs the tests.
# Nothing here needs a server: SQLite and a filesystem Celery broker are used unless
# DATABASE_URL / REDIS_URL say otherwise (see .env.example).

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
PYTEST_ARGS ?=
SIMULATE ?=
VAR_DIRS := var/broker/queue var/broker/processed var/broker/control var/results

.DEFAULT_GOAL := help
.PHONY: help install migrate run test lint bench lock clean

help:
	@echo "make run     install, migrate, load the demo data once, start web + worker + beat (PORT=$(PORT))"
	@echo "             SIMULATE=1 adds live traffic (manage.py simulate; SIMULATE_RATE, SIMULATE_DURATION)"
	@echo "make test    install and run the test suite (SQLite unless DATABASE_URL is set)"
	@echo "make lint    ruff check and ruff format --check"
	@echo "make bench   run every bench/*.py"
	@echo "make lock    regenerate requirements/base.lock and requirements/dev.lock"
	@echo "make clean   remove caches, broker files and collected static files"

install: $(STAMP)

# Re-runs only when the lock is newer than the last install.
$(STAMP): requirements/dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.lock
	@touch $@

$(VAR_DIRS):
	@mkdir -p $@

migrate: install | $(VAR_DIRS)
	$(BIN)/python manage.py migrate --noinput

# The demo data is loaded only into a database without representatives (seed_demo refuses
# to run twice). The check exits 10 for "empty"; any other failure stops make.
run: migrate
	@$(BIN)/python manage.py shell -v 0 -c "import sys; from presence.models import Representative; sys.exit(0 if Representative.objects.exists() else 10)"; \
	status=$$?; \
	if [ $$status -eq 10 ]; then $(BIN)/python manage.py seed_demo; \
	elif [ $$status -ne 0 ]; then exit $$status; fi
	$(BIN)/python -m portal.devserver --port $(PORT) $(if $(SIMULATE),--simulate)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	@shopt -s nullglob; \
	for f in bench/[!_]*.py; do \
		echo "== $$f"; \
		$(BIN)/python "$$f" || exit $$?; \
	done

lock: install
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --no-header -o requirements/base.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --no-header -o requirements/dev.lock

clean:
	rm -rf var/broker var/results var/celerybeat-schedule* var/staticfiles test-output
	rm -rf .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
