# Fettle: `make run` to try it, `make test` to test it. See README.md.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PORT

.PHONY: run test test-pg install install-test vendor chromium pdf-libs migrate lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed vendor pdf-libs
install-test: $(VENV)/.installed-test vendor chromium pdf-libs

# Browser tests drive Debian's Chromium (Playwright cannot download its own here).
chromium:
	@test -x /usr/bin/chromium || { \
		echo "Installing Debian's chromium for the browser tests..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		$$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

# PDF reports: WeasyPrint lays pages out with Pango and HarfBuzz, and needs a font; a bare
# Debian has none of them (Debian 12's Pango 1.50 is new enough).
PDF_LIBS := libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0
LDCONFIG := $(shell command -v ldconfig || echo /sbin/ldconfig)
pdf-libs:
	@missing=$$(for lib in $(PDF_LIBS); do $(LDCONFIG) -p | grep -q "$$lib" || echo "$$lib"; done); \
	test -z "$$missing" -a -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { \
		echo "Installing Pango, HarfBuzz and DejaVu fonts for PDF reports..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		$$SUDO apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
			fonts-dejavu-core >/dev/null; }

# htmx and Pico CSS come from the npm registry into the ignored static/vendor/.
static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p static/vendor/htmx static/vendor/pico
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
	cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico/
	touch $@

vendor: static/vendor/.installed

migrate: install
	$(BIN)/flask --app app db upgrade

run: install
	$(BIN)/flask --app app serve --port $(PORT)

test: install-test
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-pg: install-test
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m bench.pages

clean:
	rm -rf $(VENV) node_modules static/vendor
