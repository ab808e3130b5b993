# The two set-up commands of the README: `make run` serves on embedded SQLite, `make test`
# runs the whole suite. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "awareness needs Python 3.11 or newer (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

run: $(BIN)/.installed
	$(BIN)/awareness serve

# ruff for style, mypy for types, import-linter for the layers of docs/architecture.md.
lint: $(BIN)/.installed
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# One worker per core; a module's tests stay together, sharing its fixtures.
test: lint
	$(BIN)/pytest -n auto --dist loadscope

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
