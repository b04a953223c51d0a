# Two commands on a fresh machine: `make dev` runs the embedded stack, `make test` passes the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint bench install lock

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The real OpenID provider the login tests start (testkit/oidc_provider.py): the certified oidc-provider under Node
OIDC_PROVIDER := testkit/oidc/node_modules/.package-lock.json
$(OIDC_PROVIDER): testkit/oidc/package.json testkit/oidc/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix testkit/oidc --no-audit --no-fund --loglevel=error; \
	else echo "note: install Node.js 20.19+ with npm for the OpenID Connect login tests" >&2; fi

dev: $(STAMP)
	$(BIN)/incident dev

test: $(STAMP) $(OIDC_PROVIDER)
	./scripts/system-deps.sh
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

# Resolve again within pyproject.toml's ranges (newest allowed versions) and pin the result in constraints.txt.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet -e '.[test,otel,postgres]'
	{ head -n 2 constraints.txt; .lock-venv/bin/pip freeze --all --exclude-editable | grep -vE '^(incidentflow|setuptools)='; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .lock-venv
