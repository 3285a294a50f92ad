# Two commands set up a fresh machine and do the work:
#   make synth   virtualenv + npm toolchain, then `cdk synth` of the demo app
#   make test    same set-up plus the test tools (requirements-dev.txt), then ruff and pytest
# Only Python 3.11+, Node/npm and make are assumed; everything else comes from
# PyPI and the npm registry. The CDK CLI and jsii run on the Node 22 that
# package.json pins, not on the machine's Node.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
NODE_BIN := $(CURDIR)/node_modules/.bin
export PATH := $(NODE_BIN):$(BIN):$(PATH)
# jsii: no "node version untested" banner on the pinned Node.
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export CDK_DISABLE_VERSION_CHECK := 1

.PHONY: setup synth test lint bench clean

setup: $(VENV)/.runtime node_modules/.installed

# Runtime first (all synth needs), the test and lint tools on top: `make synth` on a fresh
# clone installs only the first. pip's own progress lines show what it is doing.
$(VENV)/.runtime: requirements.txt pyproject.toml
	@echo "==> Python runtime dependencies into $(VENV)/ (requirements.txt; first run takes a minute or two)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	@echo "==> Python test and lint tools (requirements-dev.txt)"
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	@echo "==> Node 22 and the CDK CLI into node_modules/ (npm ci, pinned in package.json)"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: setup
	@echo "==> cdk synth of the demo app, with the five cdk-nag packs"
	cdk synth --quiet $(CDK_ARGS)
	@echo "Templates written to $(CURDIR)/cdk.out/ (e.g. cdk.out/$$(cd cdk.out && ls *.template.json | head -1))"

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .ruff_cache .hypothesis build dist *.egg-info
