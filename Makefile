# Two commands set everything up: `make run` serves the demo directory, `make test` runs the suite.

# The first interpreter on PATH that is Python 3.12 or newer (Django 6.1 needs it).
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; \
	then command -v $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The development server runs with DEBUG on; everything else comes from the environment.
DEV_ENV := DEBUG=$${DEBUG:-true}

.PHONY: run setup test lint format bench check-python clean messages

run: setup
	$(DEV_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEV_ENV) $(BIN)/python manage.py load_places
	$(DEV_ENV) $(BIN)/python manage.py load_demo
	$(DEV_ENV) $(BIN)/python manage.py find_duplicates
	@echo "Serving the directory on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

setup: $(STAMP)

$(STAMP): pyproject.toml | check-python
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

check-python:
	@test -n "$(PYTHON)" || { echo "error: Python 3.12 or newer is needed but none was found on PATH." \
		"Install one (e.g. 'pyenv install 3.12') or run 'make PYTHON=/path/to/python3.12 ...'." >&2; exit 1; }

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) $(BIN)/python manage.py check_translations

# Update the Welsh catalogue (locale/cy) from the marked strings, then compile it. Needs GNU
# gettext (apt install gettext). Translate the new entries in locale/cy/LC_MESSAGES/*.po, run it
# again, and commit the .po and .mo files. See README, "Languages".
MESSAGE_OPTIONS := --no-obsolete --add-location file --ignore 'staticfiles/*' --ignore 'bench/*' \
	--ignore 'tests/*' --ignore 'docs/*' --ignore 'build/*'
messages: setup
	$(DEV_ENV) $(BIN)/python manage.py makemessages -l cy $(MESSAGE_OPTIONS)
	$(DEV_ENV) $(BIN)/python manage.py makemessages -l cy -d djangojs $(MESSAGE_OPTIONS)
	$(DEV_ENV) $(BIN)/python manage.py compilemessages --ignore '.venv' --ignore 'staticfiles'

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	@status=0; for script in $(filter-out bench/common.py,$(wildcard bench/*.py)); do \
		echo "== $$script"; $(BIN)/python $$script || status=1; done; exit $$status

clean:
	rm -rf $(VENV) staticfiles
