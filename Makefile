# Palīgs: `make run` starts the bot, `make test` runs every test. Both set up what they need.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MODEL := models/paligs.tar.gz
DATA := nlu bot/data
FAQ_DATA := nlu/faq.yml
# The model holds the guideline retriever, trained on the knowledge base itself (not only on
# nlu/faq.yml), so Rasa's own cache, which sees only the NLU data, is bypassed (--force).
TRAINING_INPUTS := config.yml domain.yml $(FAQ_DATA) $(wildcard nlu/*.yml nlu/*.py bot/data/*.yml) \
	knowledge_base/guidelines.yml knowledge_base/guidelines.py knowledge_base/retriever.py
PYTHON310 := $(shell command -v python3.10 2>/dev/null || ls -d $$HOME/.pyenv/versions/3.10*/bin/python 2>/dev/null | tail -n 1)
export TF_CPP_MIN_LOG_LEVEL ?= 2
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1

.PHONY: run test test-unit train validate eval crossval shell clean chromium cluster bench

WIDGET_DEPS := connectors/web/node_modules/.installed

run: $(VENV)/.installed $(WIDGET_DEPS) $(MODEL)
	$(PY) -m bot.ops.run $(MODEL)

# Unit tests (no model, no servers) first, then the full stack end to end.
test: $(VENV)/.installed $(WIDGET_DEPS) $(FAQ_DATA) $(MODEL) chromium
	$(PY) -m pytest tests/unit tests/e2e

test-unit: $(VENV)/.installed $(FAQ_DATA)
	$(PY) -m pytest tests/unit

# Headless Chromium for the widget tests (Debian package; Playwright drives it).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# PostgreSQL, Redis, two Rasa replicas, two action servers, the portal and nginx on loopback
# (README, "Growing past one machine"); the Debian packages are installed when missing.
cluster: $(VENV)/.installed $(WIDGET_DEPS) $(MODEL)
	@test -x /usr/sbin/nginx -a -x /usr/bin/redis-server && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server nginx; }
	$(PY) -m bot.ops.cluster --model $(MODEL)

# Palīgs against a stock `rasa init` bot under the same load (README, "Benchmark"); it uses the
# trained model as it is (no retraining: its inputs are not prerequisites).
bench: $(VENV)/.installed
	$(PY) -m bot.ops.bench --model $(MODEL)

$(WIDGET_DEPS): connectors/web/package.json connectors/web/package-lock.json
	cd connectors/web && npm ci --no-audit --no-fund
	touch $@

train: $(MODEL)

validate: $(VENV)/.installed $(FAQ_DATA)
	$(PY) -m rasa data validate --config config.yml --domain domain.yml --data $(DATA)

eval: $(VENV)/.installed $(MODEL)
	$(PY) -m bot.ops.evaluate $(MODEL)
	$(PY) -m bot.ops.catalogue_bench

shell: $(VENV)/.installed $(MODEL)
	$(PY) -m bot.register.migrate
	$(PY) -m bot.action_server & trap "kill $$!" EXIT; \
	$(PY) -m bot.server shell --model $(MODEL) --endpoints endpoints.yml

$(VENV)/.installed: requirements.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 is required (pyenv install 3.10)"; exit 1; }
	test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<25"
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(FAQ_DATA): $(VENV)/.installed knowledge_base/guidelines.yml knowledge_base/guidelines.py
	$(PY) -m knowledge_base.guidelines

$(MODEL): $(VENV)/.installed $(TRAINING_INPUTS)
	$(PY) -m rasa train --config config.yml --domain domain.yml --data $(DATA) --out models --fixed-model-name paligs --force
	touch $@

clean:
	rm -rf models .pytest_cache

crossval: $(VENV)/.installed $(FAQ_DATA)
	$(PY) -m rasa test nlu --config config.yml --nlu nlu --cross-validation --folds 3 --out results/crossval
	@cat results/crossval/intent_report.json | $(PY) -c "import json,sys; r=json.load(sys.stdin); [print(f'{k:>18} f1={v[\"f1-score\"]:.3f}') for k,v in r.items() if isinstance(v, dict) and 'f1-score' in v]"
