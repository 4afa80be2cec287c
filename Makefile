# The single entry point. A fresh clone needs only `make demo` and `make test`: both set up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEMPLATE := cdk.out/AutopilotReports.template.json
PORT ?= 4566
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: setup synth demo serve test lint bench clean

setup: $(STAMP) node_modules/.installed

# Last step: the `autopilot-reports` command (editable: it runs the code in lambdas/; pyproject.toml).
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Offline: no credentials, no lookups. cdk-nag runs inside the synth; cfn-lint checks its output.
synth: setup
	npx cdk synth --quiet --no-notices
	$(BIN)/python -m infra.checks $(TEMPLATE)

demo: synth
	$(BIN)/python -m sandbox run sandbox/scenarios/demo.json --out out/demo --template $(TEMPLATE)

# The demo, then its emulators stay up on 127.0.0.1:$(PORT) for `autopilot-reports`, the AWS CLI or
# PartiQL (see docs/querying.md) until Ctrl-C.
serve: synth
	$(BIN)/python -m sandbox run sandbox/scenarios/demo.json --out out/demo --template $(TEMPLATE) --serve --port $(PORT)

test: setup lint
	$(BIN)/python -m pytest -m "not slow" -q

# mypy reads its settings (strict; lambdas/, infra/, sandbox/) from pyproject.toml.
lint: setup
	$(BIN)/ruff check lambdas sandbox tests testsupport infra bench app.py tools
	$(BIN)/mypy

# Every bench (figures in bench/out/results.json), then the slow load test; exit 1 if a bar is missed.
bench: setup
	status=0; \
	$(BIN)/python -m bench || status=1; \
	$(BIN)/python -m pytest -m slow -q || status=1; \
	exit $$status

clean:
	rm -rf cdk.out out .pytest_cache
