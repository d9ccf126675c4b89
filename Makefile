# Accountant Hub: the two commands are `make run` and `make test` (both install what they need).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NAME ?=

.PHONY: install run test lint format unit integration e2e deploy-check bench screenshot contracts replay chaos report-pictures

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@command -v java >/dev/null || { echo "Java 17+ is needed for the local Kafka broker (apt-get install -y openjdk-17-jre-headless)"; exit 1; }
	@command -v mvn >/dev/null || { echo "Maven is needed to fetch Kafka's jars (apt-get install -y maven)"; exit 1; }
	bash deploy/local/install-system-packages.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip sync --quiet -p $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet -p $(BIN)/python --no-deps -e .
	$(BIN)/python -m deploy.local.kafka jars
	touch $(STAMP)

## run: start Kafka, MongoDB, the Business Central stand-in and all four services with sample data
run: install
	$(BIN)/python -m deploy.local.run

## test: lint, then unit, integration and end-to-end tests against real Kafka and MongoDB, and the quick fault tests
test: install lint
	$(BIN)/pytest -q -m "not chaos_only" tests/unit tests/integration tests/faults tests/e2e tests/deploy

## chaos: every fault test (servers and services killed under load, a 3-broker cluster losing one), each ending equal to a clean replay
chaos: install
	$(BIN)/pytest -q tests/faults tests/integration/test_aggregator_crash_recovery.py tests/integration/test_aggregator_replay.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services deploy bench tests

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

unit: install
	$(BIN)/pytest -q tests/unit

integration: install
	$(BIN)/pytest -q tests/integration

deploy-check: install
	$(BIN)/pytest -q tests/deploy

e2e: install
	$(BIN)/pytest -q tests/e2e

## replay: rebuild every aggregator projection from the topics and swap it in (HUB_*/AGGREGATOR_* settings)
replay: install
	$(BIN)/python -m services.aggregator.replay

## bench: every figure once (or one benchmark: make bench NAME=freshness); results in bench/results and bench/RESULTS.md
bench: install
	$(BIN)/python -m bench $(NAME)

## screenshot: docs/dashboard.png, the sample accountant's dashboard in headless Chromium
screenshot: install
	$(BIN)/python -m deploy.local.screenshot

## report-pictures: docs/reports/*.png, a simulator company's statements workbook printed by LibreOffice headless
report-pictures: install
	$(BIN)/python -m deploy.local.report_pictures

## contracts: regenerate docs/contracts/asyncapi.json and openapi.json from the code
contracts: install
	$(BIN)/python -m deploy.local.contracts
