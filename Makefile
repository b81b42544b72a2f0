# The handful of commands people type. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install run test lint validate bench docs clean lock

# Dependencies come from requirements.lock (every version pinned, every file's hash checked), then
# the project itself, editable, built by the locked setuptools (no download). `make lock` updates it.
$(BIN)/motcua: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

lock: $(BIN)/motcua  ## re-resolve requirements.lock after changing dependencies in pyproject.toml (keeps other pins)
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra docs --universal --generate-hashes \
	  --python-version 3.11 --quiet -o requirements.lock

STUDIO_JS := webapp/studio_js
STUDIO_BUNDLE := webapp/static/studio/modeler.js

# The studio's diagram editor (bpmn-js), bundled by esbuild. Without npm the studio still
# works (diagram upload), only the in-browser editor is missing.
$(STUDIO_BUNDLE): $(STUDIO_JS)/package-lock.json $(wildcard $(STUDIO_JS)/src/*)
	@if command -v npm >/dev/null 2>&1; then \
	  cd $(STUDIO_JS) && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build; \
	else echo "npm not found: the studio's diagram editor is not built (apt-get install -y nodejs npm)"; fi

install: $(BIN)/motcua $(STUDIO_BUNDLE)  ## also axe-core (package-lock.json) for the browser tests, when npm is there
	@if [ -f package-lock.json ] && command -v npm >/dev/null && ! [ node_modules/.package-lock.json -nt package-lock.json ]; \
	then npm ci --no-audit --no-fund --loglevel=error; fi

run: install  ## the product on its embedded default (SQLite, no server to install, demo data)
	$(BIN)/motcua serve --host $(HOST) --port $(PORT)

test: install  ## lint, type-check the engine ([tool.mypy] in pyproject.toml), then every test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

MOTCUA_TEST_DATABASE_URL ?= postgresql+psycopg://motcua:motcua@127.0.0.1:5432/motcua_test

.PHONY: test-postgres
test-postgres: install  ## every test that uses the database, on PostgreSQL (start one with: bash scripts/ci_postgres.sh)
	MOTCUA_TEST_DATABASE_URL='$(MOTCUA_TEST_DATABASE_URL)' $(BIN)/python -m pytest --database-tests-only

docs: install  ## the documentation site from docs/ into site/ (offline); fails on any warning
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

validate: install  ## check every procedure in the library
	$(BIN)/motcua validate --paths bpmn/

bench: install  ## engine overhead over bare SpiffWorkflow, then the HTTP service on PostgreSQL (not part of the tests)
	$(BIN)/python scripts/bench_engine.py
	$(BIN)/python scripts/bench_http.py

.PHONY: bench-http
bench-http: install  ## the HTTP service under gunicorn on PostgreSQL vs the in-process engine (bash scripts/ci_postgres.sh first)
	$(BIN)/python scripts/bench_http.py

.PHONY: bench-worklist
bench-worklist: install  ## the officer worklist with 1,000,000 dossiers on PostgreSQL: p50/p95 and the query plan
	$(BIN)/python scripts/bench_worklist.py

.PHONY: bench-quality
bench-quality: install  ## the service-quality statistics job on a month of 200,000 dossiers on PostgreSQL
	$(BIN)/python scripts/bench_quality.py

.PHONY: bench-jobs
bench-jobs: install  ## jobs/s end to end on Redis db 13 with 1, 2, 4 workers, and the enqueue cost per request
	$(BIN)/python scripts/bench_jobs.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis site
