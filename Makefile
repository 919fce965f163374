# Nagarik. `make demo` and `make test` do everything from a fresh clone; see README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

RASA_VENV := .venv-rasa
APP_VENV := .venv
# Every Rasa command goes through scripts/rasa_offline.py: no telemetry, no crash reports to third parties.
RASA := $(RASA_VENV)/bin/python scripts/rasa_offline.py
STEP := scripts/step
APP_PY := $(APP_VENV)/bin/python
SPACY_DIR := build/spacy_nagarik
MODEL := models/nagarik.tar.gz
PIP_FLAGS := --quiet --disable-pip-version-check --no-input
PIP_VERSION := 24.3.1
# Keep TensorFlow's start-up chatter out of the way.
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONWARNINGS ?= ignore
# Nothing goes to third parties: Rasa's usage telemetry off here and in every process started below.
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# The PostgreSQL server the database tests also run on (every test machine has one; empty: SQLite only).
NAGARIK_TEST_DATABASE_URL ?= postgresql+psycopg2://postgres@127.0.0.1:5432/test
export NAGARIK_TEST_DATABASE_URL
# The database the demo uses (SQLite under var/ unless DATABASE_URL says otherwise), and the
# Rasa endpoints (endpoints.postgres.yml keeps conversations in PostgreSQL too).
export DATABASE_URL ?=
ENDPOINTS ?= endpoints.yml
# What `make demo` runs once the servers are up: the terminal chat (a test runs its own command).
CHAT ?= $(APP_PY) -m simulator.chat --as 919876543210
TRAINING_FILES := config.yml $(shell find domain data -name '*.yml' 2>/dev/null)

.PHONY: help setup nginx chromium spacy train seed demo test test-begin lint unit validate story-test rest-test e2e-test attack-test browser-test demo-test bench bench-broadcast bench-http-clients bench-compare screenshots clean

help:
	@echo "make demo    set up, build, train if needed, seed, and chat with the assistant on (simulated) WhatsApp"
	@echo "make test    set up and run every test (lint, unit, data validation, conversation, end-to-end, attack and demo tests)"
	@echo "make train   build the spaCy pipeline and train the Rasa model if anything changed"
	@echo "make seed    migrate the database and load seed/catalog.yml and seed/applications.yml"
	@echo "make bench   measure NLU accuracy per language, latency, memory, training time and broadcast throughput"
	@echo "make bench-broadcast   only the broadcast throughput (100,000 recipients at 1000/s and 80/s, then the HTTP clients at 800/s; about 35 minutes)"
	@echo "make bench-compare   cross-validate config.yml against the pipelines in bench/configs/"
	@echo "make screenshots   the README's console screenshots (docs/screenshots/) from seed/screenshots.yml"

# --- environments ---------------------------------------------------------------------------
setup: $(RASA_VENV)/.installed $(APP_VENV)/.installed nginx chromium

# Debian's nginx, the production layout's one public door (tests/attacks and tests/unit/test_deploy.py run it).
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || \
	  $(STEP) nginx "nginx from Debian's packages (deploy/install-nginx, as root)" -s 'nginx [0-9.]+ installed' deploy/install-nginx

# Debian's Chromium and Devanagari/Kannada fonts: the browser tests (tests/browser) drive it with
# Playwright by its path; Playwright's own browser download does not work on these machines.
chromium:
	@[ -x /usr/lib/chromium/chromium ] || [ -x /usr/bin/chromium ] || \
	  $(STEP) chromium "Chromium from Debian's packages (deploy/install-chromium, as root)" -s 'chromium [0-9.]+ installed' deploy/install-chromium

$(RASA_VENV)/.installed: requirements/rasa.in requirements/rasa.lock
	@PY=$$(scripts/find-python310) && { [ -x $(RASA_VENV)/bin/python ] || "$$PY" -m venv $(RASA_VENV); }
	@$(STEP) setup-rasa "Rasa environment $(RASA_VENV) (first time: 2 minutes, 2.7 GB)" \
	  bash -c '$(RASA_VENV)/bin/pip install $(PIP_FLAGS) pip==$(PIP_VERSION) && \
	  $(RASA_VENV)/bin/pip install $(PIP_FLAGS) -r requirements/rasa.in -c requirements/rasa.lock'
	@touch $@

$(APP_VENV)/.installed: requirements/app.in requirements/app.lock
	@PY=$$(scripts/find-python310) && { [ -x $(APP_VENV)/bin/python ] || "$$PY" -m venv $(APP_VENV); }
	@$(STEP) setup-app "application environment $(APP_VENV)" \
	  bash -c '$(APP_VENV)/bin/pip install $(PIP_FLAGS) pip==$(PIP_VERSION) && \
	  $(APP_VENV)/bin/pip install $(PIP_FLAGS) -r requirements/app.in -c requirements/app.lock'
	@touch $@

# --- build ----------------------------------------------------------------------------------
spacy: $(SPACY_DIR)/meta.json

$(SPACY_DIR)/meta.json: seed/catalog.yml nlu_pipeline/build_spacy.py nagarik/shared/catalog.py nagarik/shared/seed_files.py nagarik/shared/text.py | setup
	@$(STEP) spacy "spaCy entity ruler from seed/catalog.yml" -s '[0-9]+ entity patterns' \
	  $(RASA_VENV)/bin/python -m nlu_pipeline.build_spacy $(SPACY_DIR)

train: $(MODEL)

$(MODEL): $(TRAINING_FILES) $(SPACY_DIR)/meta.json | setup
	@$(STEP) train "training the Rasa model (about 6 minutes on 2 cores)" -s 'model is trained' \
	  $(RASA) train --domain domain --fixed-model-name nagarik --out models --quiet
	@touch $@

seed: | setup
	@$(STEP) seed "migrating and seeding the civic database" -s 'seeded .*' $(APP_PY) -m nagarik init

# --- run ------------------------------------------------------------------------------------
demo: setup train seed
	@$(STEP) demo-data "the demo citizen's 600 neighbours, console accounts (seed/demo.yml)" -s '[0-9]+ neighbours' $(APP_PY) -m nagarik demo
	@grep -a 'demo: .*console account' var/log/steps/demo-data.log | sed 's/^demo: /    /'
	@echo "==> the officials' console: http://127.0.0.1:5200/console/ (log in as a demo account; a password is printed"
	@echo "    above only when its account is made, the first make demo; until the next one it is in var/log/steps/demo-data.log)"
	@echo "==> chat on WhatsApp (the local Cloud API simulator) as the citizen 919876543210, who owns BC-2026-001234."
	@echo "    Type a message; numbers pick buttons; /photo, /location, /voice, /document; /quit to leave."
	@echo "    As an official, in another terminal: see README.md, 'The demo as an official'."
	@NAGARIK_DEMO_CLOCK=1 RASA_ENDPOINTS=$(ENDPOINTS) $(APP_PY) -m harness --simulator --rasa --worker --console $(CHAT)

# --- tests ----------------------------------------------------------------------------------
test: setup test-begin lint unit validate train story-test rest-test e2e-test attack-test browser-test demo-test
	@$(STEP) --summary
	@echo "==> all tests passed (logs: var/log/steps/)"

test-begin:
	@$(STEP) --reset

lint: | setup
	@$(STEP) lint "ruff" -s 'All checks passed' $(APP_VENV)/bin/ruff check .

unit: | setup
	@$(STEP) unit "unit and action tests (SQLite$${NAGARIK_TEST_DATABASE_URL:+ and PostgreSQL})" \
	  $(APP_PY) -m pytest -q -rfE -p no:cacheprovider tests/unit

validate: | setup
	@$(STEP) validate "rasa data validate --fail-on-warnings" -s 'exit 0' \
	  bash -c '$(RASA) data validate --domain domain --fail-on-warnings --quiet && echo "exit 0"'

story-test: train
	@$(STEP) story-test "conversation tests (rasa test core --e2e, tests/stories)" -s '[0-9]+ stories, all passed' \
	  bash -c '$(RASA) test core --stories tests/stories --model models --e2e --fail-on-prediction-errors \
	    --out results/stories --no-plot --quiet && echo "$$(cat tests/stories/*.yml | grep -c "^- story:") stories, all passed"'

rest-test: train
	@rm -f var/test/nagarik.db* var/test/tracker.db var/test/events.db* var/test/whatsapp.db* && mkdir -p var/test
	@export DATABASE_URL=sqlite:///$(CURDIR)/var/test/nagarik.db WHATSAPP_STORE_URL=sqlite:///$(CURDIR)/var/test/whatsapp.db \
	  NAGARIK_SAMPLE_DIR=$(CURDIR)/tests/fixtures/seed && \
	  $(APP_PY) -m nagarik init >/dev/null && \
	  $(STEP) rest-test "REST channel conversations against running servers (tests/rest)" \
	    env RASA_ENDPOINTS=tests/rest/endpoints.yml RASA_CREDENTIALS=tests/rest/credentials.yml $(APP_PY) -m harness --rasa $(APP_PY) -m pytest -q -rfE -p no:cacheprovider tests/rest

e2e-test: train
	@$(STEP) e2e-test "WhatsApp end to end through the Cloud API simulator (tests/e2e)" \
	  $(APP_PY) -m pytest -q -rfE -p no:cacheprovider tests/e2e

# The production layout (deploy/) started on free ports behind nginx and attacked; the fuzzers.
attack-test: train
	@$(STEP) attack-test "attacks on the deployment behind nginx, and fuzzing (tests/attacks)" \
	  $(APP_PY) -m pytest -q -rfE -p no:cacheprovider tests/attacks

# The console in Debian's Chromium (Playwright), against a web server of its own on a free port.
browser-test: | setup
	@$(STEP) browser-test "the officials' console in Chromium (tests/browser)" \
	  $(APP_PY) -m pytest -q -rfE -p no:cacheprovider tests/browser

demo-test: train
	@$(STEP) demo-test "the README's demo, as a new user runs it (tests/demo)" \
	  $(APP_PY) -m pytest -q -rfE -p no:cacheprovider tests/demo

# --- measurements ---------------------------------------------------------------------------
bench: setup train
	@scripts/bench

bench-broadcast: setup
	@.venv/bin/python -m bench.broadcast --recipients "$${BENCH_RECIPIENTS:-100000}" --rates "$${BENCH_RATES:-1000,80}"
	@$(MAKE) --no-print-directory bench-http-clients

# The workers' HTTP clients side by side: worker CPU per message at 800 sends a second (README).
bench-http-clients: setup
	@for client in keepalive aiohttp httpx; do \
	  .venv/bin/python -m bench.broadcast --recipients "$${BENCH_CLIENT_RECIPIENTS:-20000}" --rates 800 --no-statuses --http-client $$client || exit 1; \
	done

bench-compare: setup spacy
	@echo "==> cross-validating config.yml against the alternatives in bench/configs/ (about 25 minutes)"
	@mkdir -p var/bench
	@$(RASA_VENV)/bin/python -m bench.nlu_cv --folds 3 config.yml bench/configs/word_only.yml bench/configs/transformer.yml \
	  2>var/bench/compare.log

# --- docs -----------------------------------------------------------------------------------
# The README's pictures of the console: a database of sample rows (seed/screenshots.yml) of its
# own, the console on a free port, Debian's Chromium. Not part of `make test`.
screenshots: setup
	@$(APP_PY) -m scripts.console_screenshots --out docs/screenshots

clean:
	rm -rf build models results var/test .pytest_cache
