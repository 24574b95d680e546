# Every target creates .venv on first use; nothing else needs installing by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# ARGS: options for the console, e.g. make run ARGS="--db /tmp/x.db --lang en".
# `exec`: the console replaces the recipe's shell, so nothing of ours sits between make and it.
# (make, not the console, is the terminal's session leader and alone gets the hang-up; the
# console notices the dead terminal itself: screens/lifeline.py.)
ARGS ?=
run: $(STAMP)
	exec $(BIN)/linkage $(ARGS)

# The console with simulated callers ringing in (docs/call-feed.md). The console starts the
# simulator as its own child, so it stops with the console however that ends (console/calls/demo.py).
DEMO_RATE ?= 2
demo: $(STAMP)
	exec $(BIN)/linkage --demo-rate $(DEMO_RATE) $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check console central screens tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
