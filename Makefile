# Sahabat KPM. `make help` lists every target.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
RASA_VENV := .venv-rasa
export RASA_TELEMETRY_ENABLED := false

.DEFAULT_GOAL := help

help: ## list every target
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

install: $(VENV)/.installed $(RASA_VENV)/.installed ## set up both environments (idempotent)

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "error: the app needs Python >= 3.11 as '$(PYTHON)' (set PYTHON=...)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

$(RASA_VENV)/.installed: nlu/requirements-rasa.txt
	python310=$$(scripts/find-python310) && $$python310 -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --upgrade 'pip<24'
	$(RASA_VENV)/bin/pip install --quiet -r nlu/requirements-rasa.txt
	touch $@

train: install ## train the NLU model if its inputs (config.yml, nlu/) changed
	$(VENV)/bin/sahabat nlu train

run: install train ## start the assistant on its embedded defaults (REST on 127.0.0.1:8080)
	$(VENV)/bin/sahabat run

chat: install train ## talk to the assistant in this terminal
	$(VENV)/bin/sahabat chat

browser: ## Debian's Chromium and its chromedriver, for the dashboard's browser test (installed only if missing)
	@test -x /usr/bin/chromium && test -x /usr/bin/chromedriver || \
	  { apt-get update && apt-get install -y chromium chromium-driver; }

test: install train browser ## lint, type-check and run every test (SQLite, PostgreSQL, real Rasa, headless Chromium)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

eval: install ## cross-validate the NLU (per-intent F1, worst confusions), then the catalogue held-out set: topic accuracy, honest unknowns
	$(VENV)/bin/sahabat nlu eval

bench: bench-nlu bench-send bench-groups bench-channels bench-dashboard ## every benchmark below, in one run

bench-nlu: install train ## NLU benchmark: training/load time, parse latency, accuracy vs baselines
	$(VENV)/bin/python scripts/bench_nlu.py

bench-groups: $(VENV)/.installed ## reminders (100,000 scheduled) and a broadcast (10,000 at 30 msg/s, kill -9)
	$(VENV)/bin/python scripts/bench_reminders.py
	$(VENV)/bin/python scripts/bench_broadcast.py

bench-send: $(VENV)/.installed ## outbox: 5,000 messages into a server enforcing 30 msg/s, kill -9 midway; rate, lost, repeated
	$(VENV)/bin/python scripts/bench_outbox.py

bench-dashboard: $(VENV)/.installed ## dashboard page times (p50/p95) on 10,000 families and 5,000 complaints, SQLite and PostgreSQL
	$(VENV)/bin/python scripts/bench_dashboard.py

bench-channels: install train ## 200 chats, one question each, at once: answered/s and p95 on REST, Telegram, WhatsApp
	$(VENV)/bin/python scripts/bench_channels.py

content-check: install ## validate content/ and list entries due for re-checking
	$(VENV)/bin/sahabat content check

content-report: install ## the last 30 days: topics rated not helpful, questions that reached no topic (masked)
	$(VENV)/bin/sahabat content report

clean: ## remove trained models and local data (keeps the environments)
	rm -rf models var results .rasa

.PHONY: help install train run chat test browser eval bench bench-nlu bench-send bench-groups bench-channels \
	bench-dashboard content-check content-report clean
