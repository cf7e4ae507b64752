PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv run test bench

venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[test,bench]'
	touch $@

run: venv
	$(BIN)/python manage.py migrate
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start

test: venv
	$(BIN)/pytest

bench: venv
	$(BIN)/python -m benchmarks
