# deck2pdf — two commands do everything on a fresh Debian 12: `make demo` and `make test`.
# Each installs what it needs: Debian packages (when missing, as root or through sudo), Python packages
# into .venv/, and, for the tests, the real Cleaver (npm) that the parser is checked against.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SHARED ?= ../shared

# What the test runs print besides dots: the 25 slowest tests (so that drift shows in CI's log) and a line for
# every test that failed or errored. Nothing is rerun: a test that fails once is a failure.
PYTEST_REPORT := --durations=25 --durations-min=1 -rfE

# WeasyPrint's libraries, PDF tools for the tests, fallback fonts for scripts the bundled fonts lack.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils qpdf \
                   fonts-dejavu-core fonts-noto-cjk fonts-noto-color-emoji python3-venv time openssl
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test check lint bench fuzz system-deps browser clean handout-pictures readme

demo: $(VENV)/.runtime
	$(BIN)/deck2pdf examples/tour.md -o examples/tour.pdf
	@echo "Open examples/tour.pdf"

test: $(VENV)/.test tests/oracle/node_modules/.installed browser
	$(BIN)/ruff check deck2pdf tests
	$(BIN)/ruff format --check deck2pdf tests
	$(BIN)/mypy deck2pdf
	DECK2PDF_SHARED=$(SHARED) $(BIN)/pytest -q -n auto -m "not exhaustive" $(PYTEST_REPORT)

# The quick loop: linters, types and the tests not marked slow (no Cleaver oracle needed), in under a minute.
check: lint
	DECK2PDF_SHARED=$(SHARED) $(BIN)/pytest -q -n auto -m "not slow" $(PYTEST_REPORT)

fuzz: $(VENV)/.test tests/oracle/node_modules/.installed
	HYPOTHESIS_PROFILE=fuzz DECK2PDF_SHARED=$(SHARED) $(BIN)/pytest -q -n auto tests/test_properties.py
	DECK2PDF_SHARED=$(SHARED) $(BIN)/pytest -q -n auto -m exhaustive $(PYTEST_REPORT)
	CLEAVER_RANDOM_DECKS=2000 $(BIN)/pytest -q -s tests/e2e/test_cleaver_random.py

# README's options table, made from the option table (deck2pdf/options.py, flags.py); `make check` fails when it is
# stale (tests/unit/test_flags.py).
readme: $(VENV)/.runtime
	$(BIN)/python -m deck2pdf.flags README.md

# The README's pictures of a sheet of each handout layout (examples/tour.md).
handout-pictures: $(VENV)/.runtime
	for n in 1 2 3 4 6 9; do \
	  $(BIN)/deck2pdf examples/tour.md --handout $$n -o /tmp/deck2pdf-$$n-up.pdf && \
	  pdftoppm -r 28 -f 2 -l 2 -png -singlefile /tmp/deck2pdf-$$n-up.pdf examples/handouts/$$n-up && \
	  rm /tmp/deck2pdf-$$n-up.pdf; \
	done

# Side by side with the tool people would pick instead: Marp CLI (pinned in tests/bench/package-lock.json) printing
# through the system's Chromium, both installed here when missing (never by `make test`). A quick check:
# `make bench BENCH_ARGS="--sizes 60 --runs 1 --peer-only"`.
BENCH_ARGS ?=
bench: $(VENV)/.test tests/bench/node_modules/.installed browser
	$(BIN)/python tests/benchmark.py $(BENCH_ARGS)

lint: $(VENV)/.test
	$(BIN)/ruff check deck2pdf tests
	$(BIN)/ruff format --check deck2pdf tests
	$(BIN)/mypy deck2pdf

system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# The index page's test opens it in the system's headless Chromium (tests/browser.py); `make bench` prints with it
# through Marp CLI.
browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

$(VENV)/.runtime: pyproject.toml | system-deps
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.runtime
	$(BIN)/pip install -q -e ".[test]"
	touch $@

tests/oracle/node_modules/.installed: tests/oracle/package.json tests/oracle/package-lock.json
	command -v npm >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm; }
	cd tests/oracle && npm ci --no-audit --no-fund --loglevel=error
	touch $@

tests/bench/node_modules/.installed: tests/bench/package.json tests/bench/package-lock.json
	command -v npm >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm; }
	cd tests/bench && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) tests/oracle/node_modules tests/bench/node_modules examples/tour.pdf .pytest_cache .ruff_cache .mypy_cache
