# Maatjes: `make run` starts the bot with the local web chat; `make test` runs every check and test.
# Both create .venv on first use. Python 3.11 is required.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install install-test run test check lint typecheck imports pytest messages bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Maatjes needs Python 3.11 (set PYTHON=/path/to/python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changed.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,st]'
	@touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
	$(BIN)/pybabel compile --use-fuzzy -d bot/locale -D maatjes --statistics 2>&1 | tail -n 2

install-test: $(VENV)/.installed-test
	$(BIN)/pybabel compile --use-fuzzy -d bot/locale -D maatjes 2>&1 | tail -n 1

run: install
	$(BIN)/maatjes run

test: install-test check pytest

check: lint typecheck imports

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy bot matching storage

imports:
	$(BIN)/lint-imports

# pytest exits 5 when it collected no tests: that means the suite is broken, so it fails here.
# The test files run on every core (pytest-xdist), one file per worker at a time.
pytest:
	@$(BIN)/python -m pytest -n auto --dist loadfile; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; \
	exit $$status

messages:
	$(BIN)/pybabel extract -k _ -o bot/locale/maatjes.pot bot
	$(BIN)/pybabel compile -d bot/locale -D maatjes --statistics

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
