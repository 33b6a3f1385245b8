# The two commands: `make run` (install, migrate, seed, start everything) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format install clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changed.
$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py preflight
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_roles
	$(BIN)/python manage.py seed_demo
	# Demo time: boost phases a minute apart (not 30) and comment groups 30 s apart.
	BOOST_INTERVAL_MINUTES=$${BOOST_INTERVAL_MINUTES:-1} \
	BOOST_GROUP_STAGGER_MINUTES=$${BOOST_GROUP_STAGGER_MINUTES:-0.5} \
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

# Ledger postings against raw SQL, and the webhook against a trivial view; needs PostgreSQL
# and Redis (see bench/README.md).
bench: install
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/webhook.py
	$(BIN)/python bench/payments.py
	$(BIN)/python bench/payouts.py
	$(BIN)/python bench/boosts.py
	$(BIN)/python bench/import.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .coverage htmlcov staticfiles
