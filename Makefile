# The two commands of the README. Each sets itself up from a fresh clone: a virtual environment in
# .venv with the pinned dependencies (requirements.lock) and clinicops installed editable.
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)

# An older DuckDB, to test that analysts' tools (DuckDB 1.4 and newer) open the published warehouse.
OLD_DUCKDB := .venv-duckdb-1.4
OLD_DUCKDB_VERSION := 1.4.4

# Debian's headless Chromium, for the dashboard's browser tests (installed once, as root, when missing;
# without it those tests skip and say why).
CHROMIUM := /usr/bin/chromium

# The suite runs in two pytest-xdist workers (a test file stays in one worker): most tests wait on a Prefect
# server, a browser or a subprocess, so two share the two cores well. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

.PHONY: demo test lint install chromium

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/clinicops demo

$(OLD_DUCKDB)/.installed-$(OLD_DUCKDB_VERSION):
	test -x $(OLD_DUCKDB)/bin/python || $(PYTHON) -m venv $(OLD_DUCKDB)
	$(OLD_DUCKDB)/bin/python -m pip install --quiet --disable-pip-version-check duckdb==$(OLD_DUCKDB_VERSION)
	touch $@

chromium:
	@test -x $(CHROMIUM) || { test "$$(id -u)" = 0 && apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium: not installed (needs root and Debian's apt); the dashboard's browser tests will skip"

test: $(STAMP) $(OLD_DUCKDB)/.installed-$(OLD_DUCKDB_VERSION) chromium
	$(VENV)/bin/ruff check .
	CLINICOPS_OLD_DUCKDB_PYTHON=$(OLD_DUCKDB)/bin/python $(VENV)/bin/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check .
