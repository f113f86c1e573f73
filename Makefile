# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The OpenID Connect provider tests/sso sign in against (npm's oidc-provider, pinned by its lock file).
OIDC_PROVIDER := tests/sso/oidc/node_modules/.package-lock.json

.PHONY: install demo test lint bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(OIDC_PROVIDER): tests/sso/oidc/package.json tests/sso/oidc/package-lock.json
	npm ci --prefix tests/sso/oidc --no-audit --no-fund --loglevel=error

## The whole product on its embedded defaults: simulator, web (and worker), demo data, a login.
demo: install
	bin/demo

## Every test, then the linter and the layering contracts (TESTS=path narrows the run).
## JOBS: pytest-xdist workers, one per core up to two by default (CI's machines have two);
## JOBS=0 runs the tests in this one process. Each worker has its own test database; a worker that runs
## out of tests takes some of the other's (worksteal), so a few long tests at the end do not leave one idle.
JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 2 ] && echo 2 || echo $$n)
test: install $(OIDC_PROVIDER)
	$(BIN)/pytest -n $(JOBS) --dist worksteal $(TESTS)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## Figures: every staff page, admin list and the worker, on SIMS SIMs (default 10,000) in a throwaway
## SQLite database, in a few minutes. Both databases at full size: bench/full.sh 1000000 (docs/BENCHMARKS.md).
SIMS ?= 10000
bench: install
	$(BIN)/python bench/measure.py --throwaway $(SIMS) --runs 5 --paired
