PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the tests use: Redis 7.0, the oldest server the layer supports, and
# Chromium for the browser test of the live map.
SYSTEM_PACKAGES := redis-server chromium

.PHONY: venv run test bench system-packages package

venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The engine, editable with its import paths, and the tracker's and tests' dependency
# groups (pip 25.1 reads those); channels1-tracker was this checkout's former name.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q 'pip>=25.1'
	$(BIN)/pip uninstall -y -q channels1-tracker 2>/dev/null || true
	$(BIN)/pip install -e '.[embedded]' --group app --group test --group bench
	touch $@

# Worker processes to start: `make run WORKERS=4`.
WORKERS ?= 2

# The Procfile's processes under supervisord: one that exits is started again; Ctrl-C
# stops them all. In development mode: DEBUG and the development secret key (without
# it the settings are production's, which refuse to start until the environment names
# a key and hosts).
run: export DJANGO_DEBUG = 1
run: venv
	$(BIN)/python manage.py migrate
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python manage.py supervise -c worker=$(WORKERS)

# The layer's tests that start a setup of their own (shards, a cluster, Sentinels, a
# primary and its replica): the first pass runs them, the passes on other setups leave
# them out.
OWN_SETUP_TESTS := $(foreach name,shards cluster sentinel node_takes replica_acks,--ignore=tests/channels1/layer/test_$(name).py)

# The whole suite runs on the embedded Valkey that `make run` uses; the layer's suite
# runs again on three servers as shards, on a Redis Cluster of three primaries, behind
# Sentinels, and on Debian's Redis 7.0 where it is installed.
test: venv system-packages
	REDIS_SERVER="$$($(BIN)/python -m channels1.redis_server --bundled)" $(BIN)/pytest
	@for topology in shards cluster sentinel; do \
		echo "== the layer on $$topology"; \
		REDIS_SERVER="$$($(BIN)/python -m channels1.redis_server --bundled)" $(BIN)/pytest tests/channels1/layer -q \
			--layer-redis=$$topology $(OWN_SETUP_TESTS) || exit 1; \
	done
	@if command -v redis-server >/dev/null; then \
		echo "== the layer on $$(redis-server --version | cut -d' ' -f1-3)"; \
		REDIS_SERVER="$$(command -v redis-server)" $(BIN)/pytest tests/channels1/layer -q; \
	else \
		echo "== skipped the layer on Redis 7.0: redis-server is not installed (needs root and apt-get)"; \
	fi

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "== installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "== not installing$$missing: needs root and apt-get"; \
	fi

bench: venv
	$(BIN)/python -m benchmarks

# The engine's wheel and sdist in dist/, as published; `make test` builds and tries them too.
package: venv
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
