# Shouwang: two commands do everything on a fresh machine.
#   make demo   the product with the pilot data and the guard simulator
#   make test   the whole test suite
# Both create .venv and install requirements.txt when it changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo serve test lint format bench data venv clean

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing requirements into $(VENV) (first time takes a minute)…"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet --progress-bar on -r requirements.txt
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	@$(BIN)/python -m shouwang demo

serve: $(STAMP)
	@$(BIN)/python -m shouwang serve

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff: style; lint-imports: the dependency rule and no cycles (pyproject.toml,
# docs/design.md); mypy: strict on the pure packages, typed signatures elsewhere.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/geo_nearest.py
	$(BIN)/python bench/geo_coverage_heat.py

data: $(STAMP)
	$(BIN)/python -m shouwang generate-data

clean:
	rm -rf $(VENV) .state .pytest_cache .ruff_cache tests/artifacts
