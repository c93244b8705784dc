# The front door. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHECKOV_VENV := .venv-checkov
# An environment is a config/<env>.yaml with an envs/<env>/ folder; nothing lists them.
ENVS := $(sort $(filter $(patsubst config/%.yaml,%,$(wildcard config/*.yaml)),$(patsubst envs/%/,%,$(wildcard envs/*/))))
# plan and tfvars default to dev; apply and destroy refuse to run without ENV.
PLAN_ENV := $(or $(ENV),dev)
# Extra terraform arguments: init's flags (-backend-config=..., -reconfigure, -upgrade) go to
# init, the others (-target=..., -var=...) to plan/apply/destroy.
TF_ARGS ?=
TF := $(PY) -m scripts.tf
BUILD := build
# tests/conftest.py schedules --dist loadscope: a Terraform root's class or a deployment's module on one
# worker, the heaviest groups first. `make test` runs 4 workers on 2 cores: the applies spend most of
# their time in the AWS provider's fixed propagation waits (an SQS queue about 25 s, a KMS key about
# 12 s), which the extra workers overlap.
PYTEST_DIST := --dist loadscope
PYTEST_ARGS ?= -n 4 $(PYTEST_DIST)
FAST_PYTEST_ARGS ?= -n 2 $(PYTEST_DIST)
# The tests that need no Terraform: tools, handlers, emulator, load.
FAST_TESTS := -m "not terraform and not checkov"

.PHONY: help venv lock package tfvars tfvars-all settings-docs plan apply destroy require-env local test test-fast lint fmt checkov bench redrive clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# The dev lock (requirements/dev.txt) pins every package with its hashes; pip refuses anything else.
$(STAMP): requirements/dev.txt lambda_src/requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation --editable .
	@touch $(STAMP)

venv: $(STAMP) ## create .venv from the hash-locked requirements/dev.txt, with the pipeline-* commands

lock: $(STAMP) ## re-resolve requirements/*.in into the hash-locked requirements/*.txt
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/dev.txt requirements/dev.in
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/checkov.txt requirements/checkov.in

package: $(STAMP) ## build deterministic function zips into build/
	$(PY) -m scripts.package --out $(BUILD)

tfvars: $(STAMP) ## render envs/ENV/settings.tf from config/ENV.yaml, checked by Terraform (ENV default dev)
	$(PY) -m scripts.render_tfvars --env $(PLAN_ENV)

tfvars-all: $(STAMP) ## render settings.tf for every environment
	$(PY) -m scripts.render_tfvars --all

settings-docs: $(STAMP) ## regenerate config/schema.json and the envs/README.md settings table from modules/pipeline
	$(PY) -m scripts.settings_docs

plan: package ## terraform plan envs/ENV (default dev; offline when no AWS credentials) TF_ARGS="..."
	$(PY) -m scripts.plan --env $(PLAN_ENV) -- $(TF_ARGS)

require-env:
	@if [ -z "$(ENV)" ]; then \
	  echo "error: ENV is required: make $(MAKECMDGOALS) ENV=<env> [TF_ARGS=\"-target=... -backend-config=...\"]; environments: $(ENVS)" >&2; \
	  exit 2; fi

apply: require-env package ## terraform init + apply of envs/ENV (ENV required) TF_ARGS="..."
	$(TF) --env $(ENV) apply $(TF_ARGS)

destroy: require-env package ## terraform init + destroy of envs/ENV (ENV required) TF_ARGS="..."
	$(TF) --env $(ENV) destroy $(TF_ARGS)

local: package ## run the whole pipeline on a local moto server, deployed by terraform (ARGS="--ticks 200")
	$(PY) -m scripts.local $(ARGS)

test: $(STAMP) ## run every test: handlers, packaging, terraform plan/apply, end to end, load
	$(PY) -m ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP) ## the tests that need no Terraform: tools, handlers, emulator, load (about 3 min)
	$(PY) -m pytest $(FAST_PYTEST_ARGS) $(FAST_TESTS)

lint: $(STAMP) ## ruff and terraform fmt checks
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(TF) fmt -recursive -check .

fmt: $(STAMP) ## format Python and HCL
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .
	$(TF) fmt -recursive .

checkov: $(STAMP) ## checkov over modules/ and envs/ (own venv from the hash-locked requirements/checkov.txt)
	$(PY) -m scripts.checkov_env
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework terraform -d modules
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework terraform -d envs

bench: package ## measure AWS calls, latency, throughput, sizes and cost; writes build/bench/bench.json
	$(PY) -m scripts.bench $(ARGS)

# --aws picks the deployed-environment tool (pipeline-redrive), else the local deployment's
# (pipeline-local-redrive); make consumes the flag, neither tool takes it.
redrive: $(STAMP) ## replay on-failure messages (stream, else a table Scan) into the enricher: local, or --aws (ARGS="--dry-run", "--aws --queue-url URL")
	$(PY) -m $(if $(filter --aws,$(ARGS)),scripts.redrive,scripts.local.redrive) $(filter-out --aws,$(ARGS))

clean: ## remove build output and virtual environments
	rm -rf $(BUILD) $(VENV) $(CHECKOV_VENV) .pytest_cache .ruff_cache
	find envs modules -name .terraform -type d -prune -exec rm -rf {} +
