# Two entry points (see README): `make demo` and `make test`.
# Only Python 3.11+ and pip are assumed; everything else goes into .venv.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian's Chromium runs the dashboard's browser tests (Playwright drives it; no browser download).
CHROMIUM := /usr/bin/chromium

.PHONY: demo test lint install bench clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) chromium

# Installs Debian's chromium when missing (as root); otherwise says how, and the browser
# tests skip with the same message.
chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium (the dashboard's browser tests drive it)"; \
	  apt-get install -y chromium >/dev/null 2>&1 || \
	    { apt-get update >/dev/null && apt-get install -y chromium; } || \
	    echo "warning: could not install chromium; the browser tests will be skipped"; \
	else \
	  echo "note: $(CHROMIUM) not found, so the dashboard's browser tests will be skipped;"; \
	  echo "      install it with: sudo apt-get install -y chromium"; \
	fi

demo: $(STAMP)
	$(BIN)/twin demo

test: $(STAMP) chromium
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src/

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
