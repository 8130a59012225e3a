# The README's two commands: `make demo` and `make test`. Both set up .venv themselves.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
SCALE  ?= full

.PHONY: install demo test bench clean
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

demo: install
	$(BIN)/creditlake demo

test: install
	$(BIN)/pytest

bench: install
	$(BIN)/python -m bench $(SCALE)

clean:
	rm -rf .demo warehouse/landing warehouse/iceberg warehouse/catalog.db warehouse/marts .bench
