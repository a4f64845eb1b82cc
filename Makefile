# Portal Transparansi DTSEN. `make run` serves the portal; `make test` runs the whole suite.
# Both install what is missing into .venv first; a second run installs nothing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   := $(or $(PORTAL_PORT),8000)
PO     := $(wildcard portal/translations/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

.PHONY: run test test-sqlite test-postgresql lint audit audit-strict translations extract-messages clean bench bench-quick

run: $(VENV)/.installed $(MO) instance/portal.cfg
	@$(BIN)/flask --app wsgi portal setup --demo
	@echo "Portal berjalan di http://127.0.0.1:$(PORT)  (hentikan dengan Ctrl+C)"
	@$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 1 --threads 4 \
		--access-logfile - --log-level warning wsgi:app

test: $(VENV)/.installed-dev $(MO)
	@scripts/ensure-chromium.sh
	$(BIN)/python -m pytest
	@if [ -n "$$PORTAL_TEST_DATABASE_URL" ]; then \
		echo "== Database tests again on PostgreSQL =="; \
		PORTAL_TEST_ENGINE=postgresql $(BIN)/python -m pytest; \
	fi

# Load test on 127.0.0.1 (wrk against gunicorn), ratios to a bare route; writes docs/benchmarks.md.
# PORTAL_BENCH_DATABASE_URL=postgresql://… measures on PostgreSQL; BENCH_ARGS="--recipients 10000".
bench: $(VENV)/.installed-dev $(MO)
	@scripts/ensure-wrk.sh
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

bench-quick: $(VENV)/.installed-dev $(MO)
	@scripts/ensure-wrk.sh
	$(BIN)/python scripts/bench.py --quick $(BENCH_ARGS)

# ruff (with the bandit "S" rules) and bandit itself; a medium or high bandit finding fails.
# Bandit warns "nosec encountered, but no failed test" for the parts of a statement a `# nosec`
# did not need to silence; that noise is dropped, the rest of its output is kept.
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	@$(BIN)/bandit -c pyproject.toml -r . -q --severity-level medium 2>$(VENV)/bandit.err; status=$$?; \
		grep -v 'but no failed test' $(VENV)/bandit.err >&2; \
		[ $$status -eq 0 ] && echo "bandit: no medium or high severity finding"; exit $$status

# Known vulnerabilities of the pinned requirements (pip-audit, exceptions in security/). Says
# loudly which packages the vulnerability service could not check; `audit-strict` fails on them.
audit: $(VENV)/.installed-dev
	$(BIN)/python scripts/audit.py

audit-strict: $(VENV)/.installed-dev
	$(BIN)/python scripts/audit.py --strict

translations: $(MO)

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -o portal/translations/messages.pot .
	$(BIN)/pybabel -q update --no-wrap -i portal/translations/messages.pot -d portal/translations -l en

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 atau lebih baru diperlukan (PYTHON=$(PYTHON))."; exit 1; }
	$(PYTHON) -m venv $(VENV) || { echo "Pasang modul venv Python (Debian: apt-get install python3-venv)."; exit 1; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel -q compile -i $< -o $@

instance/portal.cfg: | $(VENV)/.installed
	$(BIN)/python -m portal.bootstrap instance
