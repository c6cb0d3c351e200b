# The two commands (see README): `make run` (the site and its job worker) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_ARTICLES ?= 3000

.PHONY: setup run test lint format

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

# axe-core for the accessibility tests (pinned in package-lock.json).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py loaddata seed evidence_summaries
	$(BIN)/python manage.py generate_catalogue --articles $(DEMO_ARTICLES) --seed 1 --skip-if-populated
	$(BIN)/python manage.py refresh_topics --skip-if-current
	@# The job worker (imports) runs beside the server and stops with it (Ctrl+C).
	$(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: setup node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
