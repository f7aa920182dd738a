# Two commands: `make run` serves the app on http://localhost:8501, `make test` runs
# ruff and the whole test suite (browser tests included). Both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint bench screenshots docker-lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.app-installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt -e .
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt -e .
	touch $@ $(VENV)/.app-installed

run: $(VENV)/.app-installed
	OMP_NUM_THREADS=1 MALLOC_ARENA_MAX=2 $(BIN)/python -m streamlit run app/streamlit_app.py \
		--server.port=$(PORT) --server.headless=true --browser.gatherUsageStats=false

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

test: lint
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest

# Refresh the README's images: the browser tests, saving their screenshots into assets/.
screenshots: $(VENV)/.dev-installed
	LSOFTMAX_SCREENSHOT_DIR=$(CURDIR)/assets/screenshots OMP_NUM_THREADS=1 $(BIN)/python -m pytest tests/e2e -q

bench: $(VENV)/.dev-installed
	for name in loss collapse train digits memory ui_latency ui_drag ui_train load replicas; do OMP_NUM_THREADS=1 $(BIN)/python -m bench.$$name || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
