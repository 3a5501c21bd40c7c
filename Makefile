# synbench: the two commands a newcomer types are `make reproduce` and `make test`.
# Each creates .venv when it is missing. Python 3.10+ and pip are the only prerequisites.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch pins that work offline on the project's CPU machines; override e.g. TORCH_PINS="torch torchvision".
TORCH_PINS ?= torch==2.14.1 torchvision==0.29.1
STAMP := $(VENV)/.synbench-installed

.PHONY: venv test test-nb test-py export clean-nb reproduce bench docs lab

venv: $(STAMP)

$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip wheel "setuptools<81"
	$(BIN)/python -m pip install -q $(TORCH_PINS)
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

export: venv
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean
	$(BIN)/python -c "from synbench.docs import make_readme; make_readme()"

test: venv
	$(BIN)/nbdev_test --n_workers 2 --do_print --timing
	$(BIN)/python -m pytest -q -n 2 tests

test-nb: venv
	$(BIN)/nbdev_test --n_workers 2 --do_print --timing

test-py: venv
	$(BIN)/python -m pytest -q -n 2 tests

bench: venv
	$(BIN)/python tests/bench/corruptions.py

reproduce: venv
	@echo "make reproduce runs the MiniWorld benchmark end to end; it arrives with the MiniWorld and runner issues (see README)." && exit 2
