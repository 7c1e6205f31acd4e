# Thin wrappers around the `codev` command and the test tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run migrate test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP) ## install, migrate and serve on http://127.0.0.1:8000
	$(BIN)/codev serve

migrate: $(STAMP)
	$(BIN)/codev migrate

test: $(STAMP) ## lint, type-check and run the whole suite
	$(BIN)/ruff check app tests bench migrations
	$(BIN)/mypy --strict app
	$(BIN)/python -m pytest --cov=app/stages --cov-branch --cov-report=term --cov-fail-under=100

lint: $(STAMP)
	$(BIN)/ruff check app tests bench migrations
	$(BIN)/ruff format --check app tests bench migrations
	$(BIN)/mypy --strict app

bench: $(STAMP) ## load the real server and a baseline relay; writes bench/results/
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
