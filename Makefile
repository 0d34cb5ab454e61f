# Knowflow: `make demo` and `make test` are all the set-up a fresh machine needs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint types format clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The demo starts fresh every time: --reset replaces the previous demo organisation.
demo: $(STAMP)
	KNOWFLOW_DEBUG=1 $(BIN)/knowflow migrate --no-input
	KNOWFLOW_DEBUG=1 $(BIN)/knowflow demo --size small --reset
	@echo "Serving the demo on http://127.0.0.1:8000 with its worker (Ctrl-C stops both)"
	KNOWFLOW_DEBUG=1 $(BIN)/knowflow demo-serve --bind 127.0.0.1:8000

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/web_bench.py
	$(BIN)/python bench/library_bench.py --demo-db var/bench/large/knowflow.sqlite3
	$(BIN)/python bench/search_human_bench.py --demo-db var/bench/large/knowflow.sqlite3
	$(BIN)/python bench/scheduling_bench.py
	$(BIN)/python bench/programme_bench.py
	$(BIN)/python bench/conference_exports_bench.py
	$(BIN)/python bench/feed_bench.py
	$(BIN)/python bench/digest_bench.py
	$(BIN)/python bench/feedback_bench.py --size large
	$(BIN)/python bench/duplicates_bench.py
	$(BIN)/python bench/experts_bench.py --demo-db var/bench/large/knowflow.sqlite3
	KNOWFLOW_DEBUG=1 KNOWFLOW_DATA_DIR=var/bench/large $(BIN)/python bench/insights_bench.py
	$(BIN)/python bench/http_pages_bench.py
	$(BIN)/python bench/http_crawl_bench.py
	$(BIN)/python bench/load_bench.py
	$(BIN)/python bench/scim_bench.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy with django-stubs over the modules listed in pyproject.toml ([tool.mypy] files).
types: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var
