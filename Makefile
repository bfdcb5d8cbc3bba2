# Guichet: `make run` serves the portal with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export PORTAL_DATA_DIR ?= $(CURDIR)/var

.PHONY: install run lint test test-sqlite test-postgres bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(VENV)/bin/portal demo
	$(VENV)/bin/portal serve --host 127.0.0.1 --port 8000

lint: install
	$(VENV)/bin/lint-imports

test: install lint
	GUICHET_TEST_DB=sqlite $(PY) -m pytest $(PYTEST_ARGS)
	GUICHET_TEST_DB=postgres $(PY) -m pytest $(PYTEST_ARGS)

test-sqlite: install
	GUICHET_TEST_DB=sqlite $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install
	GUICHET_TEST_DB=postgres $(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var
