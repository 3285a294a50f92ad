# Two commands set up a fresh machine and do the work:
#   make synth   virtualenv + npm toolchain, then `cdk synth` of the demo app
#   make test    same set-up plus the test tools (requirements-dev.txt) and Debian's
#                chromium for the browser test (apt-get, when missing), then ruff and pytest
# Only Python 3.11+, Node/npm and make are assumed; everything else comes from
# PyPI, the npm registry and (chromium) Debian's packages. The CDK CLI and jsii
# run on the Node 22 that package.json pins, not on the machine's Node.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
NODE_BIN := $(CURDIR)/node_modules/.bin
export PATH := $(NODE_BIN):$(BIN):$(PATH)
# jsii: no "node version untested" banner on the pinned Node.
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export CDK_DISABLE_VERSION_CHECK := 1

.PHONY: setup synth test lint browser bench clean integ integ-update docs release release-tag release-check

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

# issue 11: tests/portal/test_portal_browser.py drives Debian's Chromium through Playwright
# (Playwright's own browser download is not reachable). Installed once, when missing.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser:
	@test -x /usr/bin/chromium || { \
	  echo "==> Debian's chromium for the browser test (apt-get; about a minute)"; \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }

test: lint node_modules/.installed browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# issue 20: the API reference, generated from the docstrings by pdoc (tools/api_docs.py), into
# build/docs/ (open build/docs/index.html); fails when a relative link in it leads nowhere.
# tests/package/test_docs.py builds it the same way in `make test`.
DOCS_DIR ?= build/docs
docs: $(VENV)/.dev
	$(BIN)/python tools/api_docs.py $(DOCS_DIR)

# issue 20: `make release` builds the sdist and the wheel of pyproject.toml's version into
# dist/ from the commit tagged v<version> (git archive: what is released is what is tagged,
# whatever the working tree holds), offline like tests/package/test_wheel.py, then checks them
# (tools/release.py: twine check --strict, the version, the files the package needs). Upload
# is yours: `twine upload dist/*`. tests/package/test_release.py runs release-check on a fresh build.
VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' pyproject.toml)
RELEASE_TAG := v$(VERSION)
DIST_DIR ?= dist

release-tag:
	@git tag --points-at HEAD | grep -qxF '$(RELEASE_TAG)' || { \
	  echo "make release: HEAD is not tagged $(RELEASE_TAG) (pyproject.toml's version is $(VERSION))." >&2; \
	  echo "Tag the commit to release (bump the version in pyproject.toml first if $(VERSION) is out), then run make release again:" >&2; \
	  echo "  git tag -a $(RELEASE_TAG) -m 'sagemaker-notebook-access $(VERSION)' && git push origin $(RELEASE_TAG)" >&2; \
	  exit 1; }

release: release-tag $(VENV)/.dev
	@echo "==> sdist and wheel of $(RELEASE_TAG) into $(DIST_DIR)/ (from the tag, offline)"
	rm -rf $(DIST_DIR) && mkdir -p $(DIST_DIR)
	source=$$(mktemp -d) && git archive $(RELEASE_TAG) | tar -x -C $$source && \
	  $(BIN)/python -m build --no-isolation --outdir $(abspath $(DIST_DIR)) $$source; \
	  status=$$?; rm -rf $$source; exit $$status
	$(MAKE) --no-print-directory release-check DIST_DIR=$(DIST_DIR)

release-check:
	$(BIN)/python tools/release.py $(DIST_DIR)

# issue 9, docs/integ.md: deploy integ/integ_notebook_access.py to a real account, run its
# assertions (custom resources in the assertion stack: a failed one fails the deploy),
# destroy, then check what survived. Costs money (NAT gateway, notebook, endpoints) for
# the 60-90 minutes it takes. Account and region from the environment. The steps, their
# bounds and the exit status are integ/run_integ.py's: check 6 runs even when the deploy
# or the destroy failed, and any failure makes the exit status non-zero.
INTEG_ACCOUNT ?= $(CDK_INTEG_ACCOUNT)
INTEG_REGION ?= $(or $(CDK_INTEG_REGION),$(AWS_REGION))
# Run from integ/: the root cdk.json's context (the demo app's flags) must not apply, so
# that what deploys is what integ/snapshot.py synthesizes.
INTEG_CDK := cdk --app "$(BIN)/python integ_notebook_access.py" --output cdk.out --no-version-reporting
INTEG_CHECK := $(BIN)/python check_retained.py IntegNotebookAccess IntegNotebookAccessAssertions --region $(INTEG_REGION)

integ: setup $(VENV)/.dev
	@test -n "$(INTEG_ACCOUNT)" -a -n "$(INTEG_REGION)" || { echo "set CDK_INTEG_ACCOUNT and CDK_INTEG_REGION (or AWS_REGION), and AWS credentials for that account"; exit 2; }
	@echo "==> integ: deploying IntegNotebookAccess + IntegNotebookAccessAssertions to $(INTEG_ACCOUNT)/$(INTEG_REGION); checks, in order:"
	@echo "    4a the fresh notebook stops itself (idle 5 min); then it is started and waited for (InService)"
	@echo "    1 inside probe (NAT EIP = allow-list): SigV4 URL, Jupyter 200, kernel WebSocket 101"
	@echo "    2 outside probe (no VPC): the URL the inside probe minted is refused"
	@echo "    3 outside probe: API 403; inside probe, notebook not granted: API 403"
	@echo "    7 portal: page 200 (strict CSP) inside, 403 outside; listing 401 without a token"
	@echo "    5 log streams <name>/LifecycleConfigOnStart and <name>/jupyter.log exist"
	@echo "    4 after the probes, the notebook stops itself again (idle 5 min)"
	@echo "    6 after destroy: only README's retained resources are left (integ/check_retained.py)"
	cd integ && export CDK_INTEG_ACCOUNT=$(INTEG_ACCOUNT) CDK_INTEG_REGION=$(INTEG_REGION) AWS_REGION=$(INTEG_REGION); \
	$(BIN)/python run_integ.py --region $(INTEG_REGION) --cdk '$(INTEG_CDK)' --check '$(INTEG_CHECK)'

# Rewrite integ/*.snapshot/ after an intended template change; review and commit the diff.
integ-update: $(VENV)/.dev
	$(BIN)/python integ/snapshot.py --update

# The bench runs the test suite too: it needs what `make test` installs.
bench: $(VENV)/.dev node_modules/.installed browser
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .ruff_cache .hypothesis build dist *.egg-info
