# Two entry points for a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint setup peers clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

peers:
	@if [ -f tests/peers/package-lock.json ]; then \
		cd tests/peers && npm ci --no-audit --no-fund --loglevel=error; fi

demo: setup
	$(BIN)/edcbridge demo --out demo-out

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy src

test: setup peers lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
