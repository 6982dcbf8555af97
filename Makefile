# One Makefile; the README names its targets. Everything runs from a local virtualenv
# that these targets create, so a fresh machine needs nothing but python3.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAM_VENV ?= .venv-sam

.PHONY: demo test lint typecheck cfn-lint checkov reliability reliability-check unit integration simulator local-stack bench bench-quick sam-build sam-validate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## The main job on the embedded default: emulated AWS stack + offline TikTok simulator.
demo: $(STAMP)
	$(BIN)/python -m hashtag_tracker_tools.local.demo $(ARGS)

## Every check CI runs: lint, types, template lint, all tests.
test: $(STAMP) lint typecheck cfn-lint sam-validate checkov reliability-check
	$(BIN)/python -m pytest --cov=hashtag_tracker --cov=hashtag_tracker_tools --cov-report=term-missing:skip-covered \
		--ignore=tests/faults --ignore=tests/property --ignore=tests/load $(PYTEST_ARGS)

## Fault, bad-input and load suites; rewrites docs/RELIABILITY.md from their results.
reliability: $(STAMP)
	$(BIN)/python -m tests.faults.reliability $(ARGS)

## What CI runs: the same suites; fails on a failing case or a stale docs/RELIABILITY.md.
reliability-check: $(STAMP)
	$(BIN)/python -m tests.faults.reliability --check $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check shared functions tests bench
	$(BIN)/ruff format --check shared functions tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

cfn-lint: $(STAMP)
	$(BIN)/cfn-lint template.yaml

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

## The offline TikTok data-API simulator, standalone on 127.0.0.1.
simulator: $(STAMP)
	$(BIN)/python -m hashtag_tracker_tools.simulator $(ARGS)

## A long-running emulated stack (moto server + simulator) for the CLI's --local mode, its
## collection schedule ticking on simulated time: ARGS="--speed 60" (an hour a minute).
local-stack: $(STAMP)
	$(BIN)/python -m hashtag_tracker_tools.local.live $(ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick $(ARGS)

## checkov lives in its own virtualenv (it pins many dependencies); pinned so new checks
## never break CI without a change here. BC_SKIP_MAPPING and --skip-download keep it offline.
CHECKOV_VENV ?= .venv-checkov

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet 'checkov==3.3.30'
	touch $@

checkov: $(CHECKOV_VENV)/.installed
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov --file template.yaml \
		--framework cloudformation --skip-download --compact --quiet

## aws-sam-cli lives in its own virtualenv (it pins boto3 and is large).
$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli
	touch $@

export SAM_CLI_TELEMETRY := 0

sam-validate: $(SAM_VENV)/.installed
	AWS_DEFAULT_REGION=us-east-1 $(SAM_VENV)/bin/sam validate --lint

## `sam build` offline-capable: the layer's Makefile pip-installs arm64 / 3.13 wheels.
sam-build: $(SAM_VENV)/.installed $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(SAM_VENV)/bin/sam build

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage build out
