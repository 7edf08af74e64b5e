# The two commands a new user needs: `make run` and `make test`.
# Everything is installed into the checkout: .tools/ (uv), .venv/ (Python), node_modules/ (Node 22, CDK CLI).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
PORT ?= 3000
HOST ?= 127.0.0.1

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv
export JSII_NODE := $(CURDIR)/node_modules/.bin/node
export PATH := $(CURDIR)/.venv/bin:$(CURDIR)/node_modules/.bin:$(CURDIR)/.tools/bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: help install emulator run synth deploy deploy-local test check lint typecheck projen clean bench release-check api-docs

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --all-extras --python ">=3.11,<3.15"
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: .venv/.installed node_modules/.installed ## Install Python and Node tools into the checkout

# MiniStack gets a venv of its own, pinned by hash (scripts/emulator/requirements.txt);
# scripts/deploy_local.py installs it, or brings it up to date, whenever it starts it.
emulator: install ## Install the AWS emulator (MiniStack) the deploy rehearsal uses
	python scripts/deploy_local.py --install

synth: install ## Synthesize the example app into example_app/cdk.out
	cd example_app && cdk synth --quiet --no-notices

# DYNAMODB=moto, STATE_DIR=dir, SEED=file.jsonl and EVENTS_FILE=file.jsonl pass on to `serverless-crud local`.
run: synth ## Install, synthesize the example app and serve it on http://$(HOST):$(PORT)/prod
	serverless-crud local --cdk-out example_app/cdk.out --host $(HOST) --port $(PORT) \
		$(if $(DYNAMODB),--dynamodb $(DYNAMODB)) $(if $(STATE_DIR),--state-dir $(STATE_DIR)) \
		$(if $(SEED),--seed $(SEED)) $(if $(EVENTS_FILE),--events-file $(EVENTS_FILE))

deploy: install ## Deploy the example app with the pinned CDK CLI (needs AWS credentials)
	cd example_app && cdk deploy

deploy-local: install ## Rehearse the real deploy: cdk bootstrap and deploy into MiniStack, then serve it
	python scripts/deploy_local.py $(if $(EMULATOR_PORT),--port $(EMULATOR_PORT))

# The commands live once, as projen tasks in .projenrc.py (.projen/tasks.json); `projen` is
# the CLI of the projen package in .venv, pinned by uv.lock, so no global or npx projen.
lint: install ## ruff lint and format check (projen task `lint`)
	projen lint

typecheck: install ## mypy --strict on src/ and scripts/ (projen task `typecheck`)
	projen typecheck

test: install ## Install, then projen's `test` task: lint, typecheck and the whole suite on every core
	projen test

check: install ## The inner loop, under a minute: lint, typecheck and the tests needing no synth or emulator
	projen check

bench: install ## Run the benchmarks and write docs/performance.md (about 15 minutes)
	python -m bench

projen: install ## Regenerate pyproject.toml, package.json and tasks from .projenrc.py
	python .projenrc.py

release-check: install ## Rehearse a release in a clean clone: projen's release task, then a publib dry run
	python scripts/release_check.py

api-docs: install ## Regenerate docs/api.md from the docstrings of the public API
	python scripts/api_docs.py

clean: ## Remove everything the Makefile installed or built
	rm -rf .tools .venv node_modules example_app/cdk.out dist .mypy_cache .ruff_cache .pytest_cache
