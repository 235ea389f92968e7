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
	@for dir in tests/peers tests/wallet tests/browser; do \
		if [ -f $$dir/package-lock.json ]; then \
			(cd $$dir && npm ci --no-audit --no-fund --loglevel=error) || exit 1; fi; done

demo: setup
	$(BIN)/edcbridge demo --out demo-out

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy src

test: setup peers lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
