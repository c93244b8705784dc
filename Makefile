# The front door. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHECKOV_VENV := .venv-checkov
ENV ?= dev
TF := $(PY) scripts/tf.py
BUILD := build
# Two workers; loadscope keeps each Terraform root's tests (one class) on one worker.
PYTEST_ARGS ?= -n 2 --dist loadscope
CHECKOV_VERSION := 3.3.30

.PHONY: help venv package tfvars tfvars-all plan apply destroy local test test-fast lint fmt checkov bench redrive clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements-dev.txt lambda_src/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP) ## create .venv with the tools and test dependencies

package: $(STAMP) ## build deterministic function zips into build/
	$(PY) scripts/package.py --out $(BUILD)

tfvars: $(STAMP) ## render envs/$(ENV)/terraform.tfvars from config/$(ENV).yaml
	$(PY) scripts/render_tfvars.py --env $(ENV)

tfvars-all: $(STAMP) ## render terraform.tfvars for every environment
	$(PY) scripts/render_tfvars.py --all

plan: package ## terraform plan envs/$(ENV) (offline with fake credentials when none are configured)
	$(PY) scripts/plan.py --env $(ENV)

apply: package ## terraform apply envs/$(ENV) (needs AWS credentials and the S3 backend)
	$(TF) -chdir=envs/$(ENV) init -input=false
	$(TF) -chdir=envs/$(ENV) apply -input=false

destroy: $(STAMP) ## terraform destroy envs/$(ENV)
	$(TF) -chdir=envs/$(ENV) destroy -input=false

local: package ## run the whole pipeline on a local moto server, deployed by terraform (ARGS="--ticks 200")
	$(PY) -m scripts.local $(ARGS)

test: $(STAMP) ## run every test: handlers, packaging, terraform plan/apply, end to end, load
	$(PY) -m ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff and terraform fmt checks
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(TF) fmt -recursive -check .

fmt: $(STAMP) ## format Python and HCL
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .
	$(TF) fmt -recursive .

checkov: ## checkov over modules/ and envs/ (own virtual environment)
	@test -x $(CHECKOV_VENV)/bin/checkov || ($(PYTHON) -m venv $(CHECKOV_VENV) && $(CHECKOV_VENV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION))
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework terraform -d modules
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework terraform -d envs

bench: package ## measure AWS calls, latency, throughput, sizes and cost; writes build/bench/bench.json
	$(PY) -m scripts.bench $(ARGS)

redrive: $(STAMP) ## replay on-failure queue messages into the enricher (ARGS="--env local ...")
	$(PY) -m scripts.redrive $(ARGS)

clean: ## remove build output and virtual environments
	rm -rf $(BUILD) $(VENV) $(CHECKOV_VENV) .pytest_cache .ruff_cache
	find envs modules -name .terraform -type d -prune -exec rm -rf {} +
