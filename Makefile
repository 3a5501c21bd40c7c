# synbench: the two commands a newcomer types are `make reproduce` and `make test`.
# Each creates .venv when it is missing. Python 3.10+ and pip are the only prerequisites.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch pins that work offline on the project's CPU machines; override e.g. TORCH_PINS="torch torchvision".
TORCH_PINS ?= torch==2.14.1 torchvision==0.29.1
STAMP := $(VENV)/.synbench-installed

.PHONY: venv data test test-nb test-py export reproduce bench bench-quick docs lab

venv: $(STAMP)

# MiniWorld's objects are Fashion-MNIST, from Debian's dataset-fashion-mnist package.
FASHION_MNIST_DIR ?= /usr/share/datasets/fashion-mnist
data:
	@if [ -n "$$SYNBENCH_FASHION_MNIST" ] || [ -d "$(FASHION_MNIST_DIR)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null; \
	else echo "MiniWorld needs Fashion-MNIST: run 'sudo apt-get install dataset-fashion-mnist'," \
	  "or set SYNBENCH_FASHION_MNIST to a folder holding its four idx files"; exit 1; fi

$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip wheel "setuptools<81"
	$(BIN)/python -m pip install -q $(TORCH_PINS)
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

export: venv
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean
	$(BIN)/python -c "from synbench.runner import sync_templates; sync_templates()"
	$(BIN)/python -c "from synbench.docs import make_readme; make_readme()"

test: venv data
	$(BIN)/nbdev_test --n_workers 2 --do_print --timing
	$(BIN)/python -m pytest -q -n 2 tests

test-nb: venv data
	$(BIN)/nbdev_test --n_workers 2 --do_print --timing

test-py: venv data
	$(BIN)/python -m pytest -q -n 2 tests

# The docs site in _docs/: nbdev_docs where Quarto is installed, else a static site built without it
# (see nbs/95_docs.ipynb); fails on any broken internal link. Open _docs/index.html.
docs: venv
	$(BIN)/nbdev_export
	$(BIN)/python -c "import sys; from synbench.docs import docs_main; sys.exit(docs_main())"

# JupyterLab on the notebooks, with this project's .venv as the kernel.
LAB_ARGS ?=
lab: venv data
	$(BIN)/python -m ipykernel install --sys-prefix --name synbench --display-name "Python (synbench)"
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) nbs/index.ipynb

# Speed targets, each printed as ratios measured in one run: corruptions vs imagecorruptions (isolated, then
# under a competing load of two busy processes the benchmark starts itself), predict() vs a bare loop, PGD vs a
# plain loop, and the corruption section's pipeline ceiling (one pass vs per-variant passes). Progress lines go to
# stderr as each part finishes. `make bench` takes about half an hour on 2 cores; `make bench-quick` a few minutes
# (the paper's five corruptions, fewer images and repeats).
bench: venv
	@echo "[bench 1/5] corruptions vs imagecorruptions, isolated" >&2
	$(BIN)/python tests/bench/corruptions.py
	@echo "[bench 2/5] corruptions vs imagecorruptions, under a competing load of 2 busy processes" >&2
	$(BIN)/python tests/bench/corruptions.py --load 2
	@echo "[bench 3/5] predict() vs a bare loop, PGD-20 vs a plain loop" >&2
	$(BIN)/python tests/bench/harness.py
	@echo "[bench 4/5] pipeline ceiling: one pass vs per-variant passes" >&2
	$(BIN)/python tests/bench/pipeline.py --n 64 --severities 1 2 3 4 5
	@echo "[bench 5/5] done" >&2

QUICK_C := --only shot_noise motion_blur snow pixelate jpeg_compression --batch 32 --ref-images 4 --reps 3
bench-quick: venv
	@echo "[bench-quick 1/4] the paper's five corruptions, isolated" >&2
	$(BIN)/python tests/bench/corruptions.py $(QUICK_C)
	@echo "[bench-quick 2/4] the same under a competing load of 2 busy processes" >&2
	$(BIN)/python tests/bench/corruptions.py $(QUICK_C) --load 2
	@echo "[bench-quick 3/4] predict() vs a bare loop, PGD-20 vs a plain loop" >&2
	$(BIN)/python tests/bench/harness.py --n 64 --pgd-n 32 --repeats 3
	@echo "[bench-quick 4/4] pipeline ceiling" >&2
	$(BIN)/python tests/bench/pipeline.py --n 16

# The main job: every section for every MiniWorld model and both ablation grids, then the paper's
# tables and figures. Finished jobs are skipped, so an interrupted run resumes where it stopped.
RUN ?= default
WORKERS ?= 2
# PGD-20, the 50 corruption x severity variants and the ablation grids run on a seeded, class-stratified
# subset of MiniWorld's ID test set (REPRO_LIMIT of its 2,000 images), which keeps the run within 15 minutes
# on 2 CPU cores (measured 2026-12-02: 8.3 from empty caches); every other set is used whole. REPRO_LIMIT= (empty) uses every image.
REPRO_LIMIT ?= 1000
reproduce: venv data
	$(BIN)/synbench run --suite miniworld --models miniworld --grids miniworld-synvit miniworld-clip \
	  --run $(RUN) --workers $(WORKERS) \
	  $(if $(REPRO_LIMIT),--param adversarial.limit=$(REPRO_LIMIT) --param corruptions.limit=$(REPRO_LIMIT) --param ablations.limit=$(REPRO_LIMIT))
	$(BIN)/synbench report runs/$(RUN) --figures figures --card miniworld/resnet-syn
