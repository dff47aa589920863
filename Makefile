# Entry points; each sets itself up: `make serve`, `make test`, `make train`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.dlfs-installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: setup test serve site train bench clean require-data

# One BLAS thread for tests and builds: the matrices are small, and on two busy
# cores OpenBLAS threads waiting on each other made them several times slower.
# (A value you set yourself wins; `make bench` records whatever is in force.)
test serve site: export OPENBLAS_NUM_THREADS ?= 1

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $(STAMP)

# KaTeX for the site, from the npm registry at the versions package-lock.json pins.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NPM_STAMP)

setup: $(STAMP) $(NPM_STAMP)

# The site's figures and notebook train on the real MNIST: $DLFS_DATA/mnist/.
require-data:
	@if [ -z "$$DLFS_DATA" ]; then \
	  echo "DLFS_DATA is not set: the book's figures and notebook read MNIST from \$$DLFS_DATA/mnist/."; \
	  echo "Set it to the folder that holds mnist/, e.g.:  DLFS_DATA=../shared/datasets make $(MAKECMDGOALS)"; \
	  exit 2; \
	fi >&2

test: setup
	$(BIN)/python -m pytest

# Live preview: warnings are shown, not fatal, while you write; `make site` and
# `make test` build with --strict.
serve: require-data setup
	$(BIN)/mkdocs serve --no-strict --dev-addr 127.0.0.1:8000

site: require-data setup
	$(BIN)/mkdocs build --strict --site-dir site

train: $(STAMP)
	$(BIN)/python -m dlfs train --out run.json

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_training.py

clean:
	rm -rf $(VENV) node_modules site test-artifacts .cache .pytest_cache .hypothesis
