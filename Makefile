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
# worker, the heaviest groups first. `make test` runs 6 workers on 2 cores: the applies spend most of
# their time in the AWS provider's fixed propagation waits (an SQS queue about 25 s, a KMS key about
# 12 s), which the extra workers overlap (one clean-clone run each: 4 workers 17 min, 6 workers 15 min).
PYTEST_DIST := --dist loadscope
PYTEST_ARGS ?= -n 6 $(PYTEST_DIST)
FAST_PYTEST_ARGS ?= -n 2 $(PYTEST_DIST)
# The tests that need no Terraform: tools, handlers, emulator, load.
FAST_TESTS := -m "not terraform and not checkov"
# The suite starts hundreds of Python processes (workers, moto servers, the commands under test): an
# inherited PYTHONDONTWRITEBYTECODE (set on some CI images) would make each compile every module it
# imports, the repository's and pytest's rewritten tests included. __pycache__ is ignored by git
# and by the function zips.
PYTEST := PYTHONDONTWRITEBYTECODE= $(PY) -m pytest

.PHONY: help venv lock package tfvars tfvars-all settings-docs provider-schema env state-bucket plan apply destroy require-env local test test-fast lint fmt validate checkov bench redrive secret-rotate secret-revoke smoke clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' \
	  '{name[NR] = $$1; text[NR] = $$2; if (length($$1) > width) width = length($$1)} \
	   END {for (i = 1; i <= NR; i++) printf "  make %-*s  %s\n", width, name[i], text[i]}'

# The dev lock (requirements/dev.txt) pins every package with its hashes; pip refuses anything else.
# scripts/venv.sh checks Python >= 3.11 first and rebuilds a .venv left half-installed (no stamp)
# or made by another interpreter.
$(STAMP): requirements/dev.txt requirements/uv.txt lambda_src/requirements.txt pyproject.toml scripts/venv.sh
	@scripts/venv.sh "$(PYTHON)" "$(VENV)" "$(STAMP)"

venv: $(STAMP) ## create .venv (Python >= 3.11, PYTHON=...) from the hash-locked requirements/dev.txt

lock: $(STAMP) ## re-resolve requirements/*.in into the hash-locked requirements/*.txt
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/dev.txt requirements/dev.in
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/checkov.txt requirements/checkov.in
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/uv.txt requirements/uv.in

package: $(STAMP) ## build deterministic function zips into build/
	$(PY) -m scripts.package --out $(BUILD)

tfvars: $(STAMP) ## render envs/ENV/settings.tf from config/ENV.yaml, checked by Terraform (ENV default dev)
	$(PY) -m scripts.render_tfvars --env $(PLAN_ENV)

tfvars-all: $(STAMP) ## render settings.tf for every environment
	$(PY) -m scripts.render_tfvars --all

settings-docs: $(STAMP) ## regenerate config/schema.json and the envs/README.md settings table from modules/pipeline
	$(PY) -m scripts.settings_docs

env: $(STAMP) ## a new environment from another: make env NEW=qa FROM=dev (config/NEW.yaml, envs/NEW/main.tf)
	$(if $(NEW),,$(error NEW is required: make env NEW=<name> [FROM=dev]))
	$(PY) -m scripts.new_env --new $(NEW) --from $(or $(FROM),dev)

state-bucket: require-env $(STAMP) ## create the S3 state bucket of config/ENV.backend.hcl, once per account
	$(PY) -m scripts.state_bucket --env $(ENV)

plan: package ## render settings if the YAML changed, terraform plan envs/ENV (default dev; offline without credentials)
	$(PY) -m scripts.plan --env $(PLAN_ENV) -- $(TF_ARGS)

# $(error) stops make with one line (a failing recipe would add make's own "*** Error" line).
require-env:
	$(if $(ENV),,$(error ENV is required: make $(MAKECMDGOALS) ENV=<env> [TF_ARGS="-target=..."]; environments: $(ENVS)))

apply: require-env package ## render settings, terraform init (config/ENV.backend.hcl) + apply of envs/ENV (ENV required)
	$(TF) --env $(ENV) apply $(TF_ARGS)

destroy: require-env package ## terraform init + destroy of envs/ENV (ENV required) TF_ARGS="..."
	$(TF) --env $(ENV) destroy $(TF_ARGS)

local: package ## run the whole pipeline on a local moto server, deployed by terraform (ARGS="--ticks 200")
	$(PY) -m scripts.local $(ARGS)

test: $(STAMP) ## run every test: handlers, packaging, terraform plan/apply, end to end, load
	$(PY) -m ruff check .
	$(PYTEST) $(PYTEST_ARGS)

test-fast: $(STAMP) ## the tests that need no Terraform: tools, handlers, emulator, load (2-2.5 min)
	$(PYTEST) $(FAST_PYTEST_ARGS) $(FAST_TESTS)

lint: $(STAMP) ## ruff and terraform fmt checks
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(TF) fmt -recursive -check .

fmt: $(STAMP) ## format Python and HCL
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .
	$(TF) fmt -recursive .

validate: $(STAMP) ## terraform fmt check, then init + validate of every root and example (offline)
	$(PY) -m scripts.validate

provider-schema: $(STAMP) ## re-extract scripts/data/aws-provider-schema.json (provider 6.25.0 from the locked cdktf wheel, 5.100.0 from terraform)
	$(PY) -m scripts.provider_schema --regenerate

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

secret-rotate: require-env $(STAMP) ## new webhook signing secret AWSCURRENT, the old one AWSPREVIOUS (ENV required; docs/operations.md)
	$(PY) -m scripts.ops.secret rotate --env $(ENV) $(ARGS)

secret-revoke: require-env $(STAMP) ## stop accepting the AWSPREVIOUS signing secret, within the cache TTL (ENV required)
	$(PY) -m scripts.ops.secret revoke --env $(ENV) $(ARGS)

smoke: require-env $(STAMP) ## one signed tick through the deployed ENV: row enriched, notification sent; each step timed
	$(PY) -m scripts.ops.smoke --env $(ENV) $(ARGS)

clean: ## remove build output and virtual environments
	rm -rf $(BUILD) $(VENV) $(CHECKOV_VENV) .pytest_cache .ruff_cache
	find envs modules -name .terraform -type d -prune -exec rm -rf {} +
