# Two commands set up a fresh machine and do the work:
#   make synth   virtualenv + npm toolchain, then `cdk synth` of the demo app
#   make test    same set-up, then ruff and pytest
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

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: setup
	cdk synth --quiet $(CDK_ARGS)
	@echo "Templates written to $(CURDIR)/cdk.out/ (e.g. cdk.out/$$(cd cdk.out && ls *.template.json | head -1))"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .ruff_cache .hypothesis build dist *.egg-info
