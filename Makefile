# The README's two commands: `make demo` and `make test`. Both set up .venv themselves.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
SCALE  ?= full
# Two pytest workers, one per core; a test file stays on one worker (its module fixtures
# are built once). `make test PYTEST_WORKERS=0` runs the suite in one process.
PYTEST_WORKERS ?= 2

.PHONY: install demo lint test bench clean
# The documentation's browser assets (creditlake/core/assets.toml) are fetched into the venv from
# the npm registry, never committed; already fetched, nothing is downloaded.
install: $(VENV)/.installed
	$(BIN)/python -m creditlake.core.assets

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

demo: install
	$(BIN)/creditlake demo

# The same checks as .pre-commit-config.yaml: style, the layer rule, the dbt SQL.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	mkdir -p .lint/marts
	cd dbt_project && CREDITLAKE_WAREHOUSE=$(CURDIR)/.lint DBT_PROFILES_DIR=. ../$(BIN)/sqlfluff lint models --processes 2

test: lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

bench: install
	$(BIN)/python -m bench $(SCALE)

clean:
	rm -rf .demo warehouse/landing warehouse/iceberg warehouse/catalog.db warehouse/marts .bench
