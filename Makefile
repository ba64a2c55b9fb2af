# The README names these targets; keep them true on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format bench bench-hosts worker fake-ollama clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The front-end libraries come from the npm registry as tarballs checked against package-lock.json's
# hashes, by Python alone: no node or npm needed (scripts/vendor_static.py).
install: $(STAMP)
	@$(PY) scripts/vendor_static.py

# The demo has DEBUG on, a secret key everyone knows and published passwords: it stays on this
# machine unless the person running it says otherwise (TUTOR_ALLOW_NETWORK_DEMO=1).
run: install
	@case "$(HOST)" in \
	  127.*|localhost|::1|"[::1]") ;; \
	  *) if [ "$(TUTOR_ALLOW_NETWORK_DEMO)" != "1" ]; then \
	    echo "" >&2; \
	    echo "  Refusing to serve the demo on HOST=$(HOST): it runs with DEBUG on, a secret key everyone knows" >&2; \
	    echo "  and the demo passwords from the README, so anyone who can reach this machine could log in as" >&2; \
	    echo "  the admin." >&2; \
	    echo "  - On a network you trust (a classroom demo), say so:" >&2; \
	    echo "      make run HOST=$(HOST) TUTOR_ALLOW_NETWORK_DEMO=1 DJANGO_ALLOWED_HOSTS=<this machine's name or address>" >&2; \
	    echo "  - For real use, run the production settings (docker compose up; README, Production configuration)." >&2; \
	    echo "" >&2; \
	    exit 2; \
	  fi; \
	  echo "  Warning: serving the demo (DEBUG, demo passwords) to the network because TUTOR_ALLOW_NETWORK_DEMO=1." >&2 ;; \
	esac
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_demo
	@echo ""
	@echo "  Phi Tutor is starting at http://$(HOST):$(PORT)/"
	@echo "  Log in as teacher, ada or ben (password tutor-demo-2026); admin at /admin/."
	@echo "  The tutor talks to Ollama at $${OLLAMA_HOST:-http://127.0.0.1:11434} (model $${OLLAMA_MODEL:-phi4})."
	@echo ""
	exec $(VENV)/bin/uvicorn tutor.asgi:application --host $(HOST) --port $(PORT) --ws websockets-sansio --ws-per-message-deflate false --no-access-log

worker: install
	$(VENV)/bin/celery -A tutor worker --loglevel=INFO --pool=threads --concurrency=50

fake-ollama: install
	$(PY) -m inference.testing.fake_ollama --port 11434 --tokens-per-second 30 --scenario phi4-demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install
	@bash scripts/ensure_browser.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=tutor.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/mypy
	$(PY) -m pytest

bench: install
	$(PY) bench/run_all.py

# Several Ollama hosts (docs/scaling.md): answers per minute with 1, 2 and 4 test hosts, and the
# one-question rule over two web processes (about 5 minutes; not part of `make bench`'s budget).
bench-hosts: install
	$(PY) bench/hosts.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
