# yuqing — the two commands of the README: `make demo` and `make test`.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: demo test venv system es-start es-stop lint wheel-smoke bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# System packages some tests need (browser for console tests); idempotent.
system:
	bash scripts/setup-system.sh

es-start:
	bash scripts/elasticsearch.sh start

es-stop:
	bash scripts/elasticsearch.sh stop

demo: venv
	bash scripts/demo.sh

test: venv system
	bash scripts/elasticsearch.sh start
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# style and the architecture: the layers contract in .importlinter (foundation imports nothing above it)
lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# the wheel installed (not editable) into a clean venv, run from an empty directory
wheel-smoke:
	PY=$(PY) bash scripts/wheel-smoke.sh

bench: venv
	bash scripts/elasticsearch.sh start
	$(BIN)/python bench/ingest.py

clean:
	rm -rf var test-output .pytest_cache
