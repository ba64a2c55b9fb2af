# The README names these targets; keep them true on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format bench worker fake-ollama clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)
	@$(PY) scripts/vendor_static.py

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo ""
	@echo "  Phi Tutor is starting at http://$(HOST):$(PORT)/"
	@echo "  Log in as teacher, ada or ben (password tutor-demo-2026); admin at /admin/."
	@echo "  The tutor talks to Ollama at $${OLLAMA_HOST:-http://127.0.0.1:11434} (model $${OLLAMA_MODEL:-phi4})."
	@echo ""
	exec $(VENV)/bin/uvicorn tutor.asgi:application --host $(HOST) --port $(PORT) --ws websockets --ws-per-message-deflate false --no-access-log

worker: install
	$(VENV)/bin/celery -A tutor worker --loglevel=INFO --pool=threads --concurrency=50

fake-ollama: install
	$(PY) -m inference.testing.fake_ollama --port 11434 --tokens-per-second 30 --scenario phi4-demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install
	@bash scripts/ensure_browser.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=tutor.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
