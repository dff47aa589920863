# Entry points; each sets itself up: `make serve`, `make test`, `make train`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.dlfs-installed
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true

.PHONY: setup lint test serve site pdf train bench bench-build portability clean

# One BLAS thread for tests and builds: the matrices are small, and on two busy
# cores OpenBLAS threads waiting on each other made them several times slower.
# (A value you set yourself wins; `make bench` records whatever is in force.)
test serve site pdf bench-build: export OPENBLAS_NUM_THREADS ?= 1

# uv installs what pip would, from PyPI, in a fraction of the time (measured here: 20 s against
# 94 s for the test and docs extras); pip stays in the venv for `pip download --require-hashes`.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test,docs]'
	touch $(STAMP)

# KaTeX, Pyodide and CodeMirror for the site, from the npm registry at the versions package-lock.json pins.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NPM_STAMP)

# The wheels Python runs in the reader's browser (browser/requirements.txt, every one
# hash-pinned), kept out of the source tree; the build checks each file again.
BROWSER_WHEELS := .cache/browser-wheels
$(BROWSER_WHEELS)/.installed: browser/requirements.txt $(STAMP)
	$(BIN)/python -m pip download --quiet --no-deps --only-binary :all: --require-hashes \
	    -r browser/requirements.txt -d $(BROWSER_WHEELS)
	touch $@

setup: $(STAMP) $(NPM_STAMP) $(BROWSER_WHEELS)/.installed

# The linter and the type checker, configured in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# ruff first (instant); mypy (about 15 s of CPU, cold) beside pytest, its report printed after it.
# Either failing fails `make test`.
test: setup
	$(BIN)/ruff check .
	@mkdir -p test-artifacts; $(BIN)/mypy > test-artifacts/mypy.log 2>&1 & mypy=$$!; \
	$(BIN)/python -m pytest; status=$$?; \
	wait $$mypy; typed=$$?; cat test-artifacts/mypy.log; \
	[ $$status -eq 0 ] && [ $$typed -eq 0 ]

# The site reads MNIST as load_mnist does: $DLFS_DATA/mnist/ if DLFS_DATA is set,
# else ~/.cache/dlfs/mnist/, downloaded there (and checked by SHA-256) if missing.
# Results are kept in .cache/dlfs-book/, keyed on the code: a rebuild with nothing
# changed computes nothing. Live preview: warnings are shown, not fatal, while you
# write; `make site` and `make test` build with --strict.
serve: setup
	$(BIN)/mkdocs serve --no-strict --dev-addr 127.0.0.1:8000

site: setup
	$(BIN)/mkdocs build --strict --site-dir site

# The whole book as one PDF, printed from the built site by Chromium: site/dlfs.pdf.
# Needs /usr/bin/chromium and poppler-utils (Debian packages chromium, poppler-utils).
# DLFS_PDF (for the site built first, too): the pages link the PDF only in this build.
pdf: export DLFS_PDF = 1
pdf: site
	$(BIN)/python -m dlfs.site.pdf --site site --out site/dlfs.pdf

train: $(STAMP)
	$(BIN)/python -m dlfs train --out run.json

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_training.py

# Cold site builds of this checkout against the commit before the cache and the
# parallel build (BASE), interleaved; writes benchmarks/results/bench_build.json.
bench-build: setup
	$(BIN)/python benchmarks/bench_build.py

# Every example under each OpenBLAS kernel this CPU runs, with 1 and 2 threads, each with an
# empty book cache: what prints differently, and the small numbers cleared for CI
# (benchmarks/results/portability.json, committed). Run it before a stop; about 11 minutes on 2 idle cores (12 configurations).
portability: $(STAMP)
	$(BIN)/python benchmarks/portability.py

clean:
	rm -rf $(VENV) node_modules site test-artifacts .cache .pytest_cache .hypothesis .mypy_cache .ruff_cache
