# One vocabulary for humans and CI. Every target creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STATE ?= .sandbox

.PHONY: run test lint format typecheck bench clean install docker-lint docker-test docker-lock

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@test -f $(STATE)/demo-client.json || $(BIN)/ficoba-sandbox init --dir $(STATE)
	$(BIN)/ficoba-sandbox serve --dir $(STATE)

test: $(STAMP)
	@./.ci/install-system-deps || echo "system packages missing (redis-server, chromium): their tests will be skipped (they fail under CI=true)"
	$(BIN)/pytest --cov --cov-report=term

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts examples docker
	$(BIN)/ruff format --check src tests bench scripts examples docker

format: $(STAMP)
	$(BIN)/ruff format src tests bench scripts examples docker
	$(BIN)/ruff check --fix src tests bench scripts examples docker

typecheck: $(STAMP)
	$(BIN)/mypy src

docker-lint: $(STAMP)
	$(BIN)/hadolint Dockerfile

# The image built, run and checked on a real engine (scripts/docker_test.py, docs/docker.md):
# skipped where no Docker engine can be had, except under CI=true.
docker-test: $(STAMP)
	$(BIN)/python scripts/docker_test.py

# The image's locks, every package pinned with its hashes, for any Python 3.11 (markers kept):
# pins that still fit pyproject.toml stay; `make docker-lock LOCK_UPGRADE=--upgrade` takes the
# latest versions.
LOCK := $(BIN)/uv pip compile --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command "make docker-lock" $(LOCK_UPGRADE)
docker-lock: $(STAMP)
	$(LOCK) pyproject.toml --extra redis --output-file docker/requirements.txt
	$(LOCK) docker/build-requirements.in --output-file docker/build-requirements.txt

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
