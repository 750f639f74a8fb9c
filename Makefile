# sellm — everything a newcomer needs is `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.DEFAULT_GOAL := help
.PHONY: help install run dev prepare test curator lint format migrate serve worker beat audit lock bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

install: $(STAMP)  ## create .venv and install the locked dependencies (idempotent)

$(STAMP): requirements/dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "sellm needs Python 3.11 or newer as $(PYTHON)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.txt
	touch $(STAMP)

prepare: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_roles
	$(BIN)/python manage.py load_survey
	$(BIN)/python manage.py refresh_related
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

run: prepare  ## the embedded default as readers see it: SQLite, in-process tasks, DEBUG off, http://127.0.0.1:8000
	@echo ""
	@echo "  sellm is starting on http://127.0.0.1:8000 (admin: http://127.0.0.1:8000/admin/)"
	@echo "  Create a curator account in another terminal:  make curator NAME=yourname"
	@echo "  No scheduler runs here: harvest from the admin or with manage.py ingest_arxiv."
	@echo ""
	$(BIN)/python manage.py runserver 127.0.0.1:8000

dev: prepare  ## `make run` with DEBUG on (debug pages, auto-reload of static sources)
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

curator: install  ## create a curator account for `make run`: make curator NAME=ada
	@test -n "$(NAME)" || { echo "usage: make curator NAME=yourname"; exit 1; }
	$(BIN)/python manage.py create_curator $(NAME)

test: install  ## the whole suite (SQLite; set DATABASE_URL for PostgreSQL)
	$(BIN)/pytest

lint: install  ## ruff check and format check, mypy, Django checks
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	SECRET_KEY=lint $(BIN)/python manage.py check
	SECRET_KEY=lint $(BIN)/python manage.py makemigrations --check --dry-run

format: install  ## apply ruff's formatting and fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: install  ## apply migrations to the configured database
	$(BIN)/python manage.py migrate --noinput

# --- production processes, natively (settings from the environment or .env) -----------------

serve: install  ## gunicorn with production settings on 127.0.0.1:8000 (needs SECRET_KEY)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/gunicorn sellm.wsgi --bind $${BIND:-127.0.0.1:8000} --access-logfile -

worker: install  ## a Celery worker (needs CELERY_BROKER_URL)
	$(BIN)/celery -A sellm worker --loglevel INFO

beat: install  ## Celery beat, which sends the periodic harvests (needs CELERY_BROKER_URL)
	$(BIN)/celery -A sellm beat --loglevel INFO --schedule var/celerybeat-schedule

audit: install  ## pip-audit the locked dependencies; says loudly when no vulnerability database answers
	.ci/audit

lock: install  ## re-resolve requirements/*.txt from pyproject.toml (needs PyPI)
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --no-header -q -o requirements/base.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --no-header -q -o requirements/dev.txt

PAPERS ?= 100000
bench: install  ## benchmarks on a PostgreSQL corpus → bench/results.json, docs/performance.md (PAPERS=10000 ONLY="api load")
	$(BIN)/python bench/run.py --papers $(PAPERS) $(foreach name,$(ONLY),--only $(name))

clean:  ## remove the virtual environment and local data
	rm -rf $(VENV) var .pytest_cache .ruff_cache
