# Two entry points (see README): `make demo` and `make test`.
# Only Python 3.11+ (with its venv module) and make are assumed; the rest goes into .venv.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Where `make demo` serves the API: `make demo PORT=8001 HOST=0.0.0.0`.
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian's Chromium runs the dashboard's browser tests (Playwright drives it; no browser download).
CHROMIUM := /usr/bin/chromium

.PHONY: demo test test-fast lint install bench clean reset prerequisites chromium

# Clear messages instead of a traceback halfway through creating .venv.
prerequisites:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "error: no python3 found; install Python 3.11 or newer (e.g. apt-get install python3)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "error: $(PYTHON) is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'); 3.11 or newer is needed (PYTHON=python3.12 make …)"; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "error: $(PYTHON) has no venv module; on Debian/Ubuntu: sudo apt-get install python3-venv"; exit 1; }

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory prerequisites
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
	$(BIN)/twin demo --host $(HOST) --port $(PORT)

test: $(STAMP) chromium
	$(BIN)/python -m pytest

# The fast tier: no PostgreSQL, under a minute on two cores. It lets Python and pytest keep
# compiled modules and the tests' rewritten asserts in __pycache__ even where the environment
# sets PYTHONDONTWRITEBYTECODE (both still read them then): compiling ~550 modules and
# rewriting their asserts is half of the ~12 s collection when nothing is cached.
test-fast: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -m "not db" -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src/

# Deletes the embedded database (asks first; TWIN_DATA_DIR says which one).
reset: $(STAMP)
	$(BIN)/twin db reset

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
