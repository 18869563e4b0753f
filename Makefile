# Two commands: `make run` and `make test`. Both install what is missing first.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

CHROMIUM := /usr/bin/chromium
# apt-get needs root: use sudo when we are not root and sudo exists
SUDO    := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)

.PHONY: run test install lint bench clean system-deps npm fonts translations

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Front-end packages from the npm registry, exactly as package-lock.json says (never
# committed). Re-run when the lock file is newer than node_modules or node_modules is missing.
node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch node_modules

# The modeler's bundle (bpmn-js, its properties panel, minimap, auto layout and our
# web/frontend/ modules), built by esbuild from npm into web/static/build/ (git-ignored).
BUNDLE  := web/static/build/modeler.js
$(BUNDLE): node_modules package.json $(wildcard web/frontend/*.js)
	npm run build

# The gettext catalogues: translations/<language>/LC_MESSAGES/messages.po are committed (the
# project's own text), their compiled .mo files are built here (git-ignored).
CATALOGUES := $(wildcard translations/*/LC_MESSAGES/messages.po)
COMPILED   := $(CATALOGUES:.po=.mo)
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

install: $(STAMP) node_modules $(BUNDLE) $(COMPILED) fonts

# Extract every marked text (Python and templates) and merge it into both catalogues;
# then translate what is new (tests/unit/test_translations.py fails until both are complete).
translations: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-output -k lazy_gettext -k N_plural:1,2 -F babel.cfg -o translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete --width 100 -i translations/messages.pot -d translations
	$(MAKE) $(COMPILED)

# Reports and PDFs embed DejaVu Sans (Cyrillic glyphs): Debian's fonts-dejavu-core, installed
# when missing, never committed.
FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
fonts:
	@test -f $(FONT) || { \
	  echo "installing Debian's fonts-dejavu-core"; \
	  ($(SUDO) apt-get update -qq && \
	   $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core) \
	    || echo "warning: could not install fonts-dejavu-core; PDFs cannot show Cyrillic"; }

# Debian packages: Chromium for the browser tests (never a browser download, never
# `playwright install`), and npm if the machine has none. Only when missing.
system-deps: npm
	@test -x $(CHROMIUM) || { \
	  echo "installing Debian's chromium"; \
	  ($(SUDO) apt-get update -qq && \
	   $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	    || echo "warning: could not install chromium; the browser tests cannot run"; }

npm:
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Debian's npm"; \
	  ($(SUDO) apt-get update -qq && \
	   $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm) \
	    || echo "warning: could not install npm"; }

run: npm install
	$(BIN)/slm db upgrade
	$(BIN)/slm seed
	$(BIN)/slm run --host $${SLM_HOST:-127.0.0.1} --port $${SLM_PORT:-5000}

lint: install
	$(BIN)/ruff check engine handlers web tests bench migrations

test: system-deps install lint
	$(BIN)/pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) instance test-output node_modules web/static/build translations/*/LC_MESSAGES/*.mo
