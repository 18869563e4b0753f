# Two commands: `make run` and `make test`. Both install what is missing first.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test install lint bench clean system-deps

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (never a browser download).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	    || echo "warning: could not install chromium"; }

run: install
	$(BIN)/slm db upgrade
	$(BIN)/slm seed
	$(BIN)/slm run --host $${SLM_HOST:-127.0.0.1} --port $${SLM_PORT:-5000}

lint: install
	$(BIN)/ruff check engine handlers web tests bench migrations

test: install lint
	$(BIN)/pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) instance test-output
