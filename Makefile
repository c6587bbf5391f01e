# Tsunagu: `make run` serves the demo, `make test` runs the whole suite (SQLite, then PostgreSQL).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements/dev.txt | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test test-sqlite lint bench messages lock clean

# The virtual environment, rebuilt whenever the pinned requirements change.
$(STAMP): requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.txt
	rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo

# The web server, and beside it the worker that runs background tasks (imports); both stop together.
run: setup
	$(PY) manage.py db_worker --interval 1 & worker=$$!; trap 'kill $$worker' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# The whole suite: installs Chromium and PostgreSQL if missing, runs on SQLite and PostgreSQL.
test: $(STAMP)
	bash scripts/test.sh

test-sqlite: $(STAMP)
	bash scripts/test.sh sqlite

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) bench/run.py

# Regenerate translation catalogues (needs GNU gettext: apt-get install gettext).
messages: $(STAMP)
	$(PY) manage.py makemessages --locale ja --locale en --ignore '.venv/*' --no-obsolete --add-location file
	$(PY) manage.py compilemessages --ignore '.venv/*'

# Re-pin dependencies from pyproject.toml.
lock: $(STAMP)
	$(VENV)/bin/pip-compile --quiet --strip-extras --generate-hashes -o requirements/base.txt pyproject.toml
	$(VENV)/bin/pip-compile --quiet --strip-extras --generate-hashes --extra dev -o requirements/dev.txt pyproject.toml

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
