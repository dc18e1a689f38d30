# Two commands for a fresh machine (see README.md):
#   make book   create .venv, install, fetch the npm assets, build the site into _build/html
#   make test   install the test extras and the Debian packages, run every test
#
# Everything is installed into .venv from requirements*.txt, and the student kernel's
# own environment into .venv-kernel from requirements-kernel.txt; nothing by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: book notebooks assets test sysdeps install install-test kernel-env release samples grade-demo bench bench-book clean help

help:
	@echo "make book        build the site into _build/html (creates .venv)"
	@echo "make notebooks   regenerate the chapter notebooks book/NN_name.ipynb from the .md"
	@echo "make test        run every test (installs test extras and Debian packages)"
	@echo "make kernel-env  build .venv-kernel, the grading sandbox's Python (part of install)"
	@echo "make release     generate the student notebooks from solutions/ with nbgrader"
	@echo "make samples     write demo submissions (correct, partial, bugs...) to _build/samples"
	@echo "make grade-demo  grade the demo submissions and print the export"
	@echo "make bench       run the benchmarks (prints ratios against PyTorch / nbgrader)"
	@echo "make bench-book  time a cold and a warm build of the book"

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

# The grading sandbox mounts this environment, never .venv, as the kernel's Python:
# numpy, matplotlib, ipykernel and nothing else (no torch, rnn_ref, nbgrader,
# autograder). Created without pip; .venv's pip installs into it.
KVENV := .venv-kernel
$(KVENV)/.installed: requirements-kernel.txt | $(VENV)/.installed
	rm -rf $(KVENV)
	$(PYTHON) -m venv --without-pip $(KVENV)
	$(BIN)/pip --python $(KVENV)/bin/python install --quiet -r requirements-kernel.txt
	touch $@

kernel-env: $(KVENV)/.installed
install: $(VENV)/.installed $(KVENV)/.installed
install-test: install $(VENV)/.installed-test

# JavaScript served by the built site (MathJax, the ipywidgets HTML manager, RequireJS),
# pinned by package-lock.json. book/_ext/offline_assets.py copies it into
# _build/html/_static/vendor, so the site makes no request to a CDN.
NPM ?= npm
node_modules/.installed: package.json package-lock.json
	@command -v $(NPM) >/dev/null 2>&1 || { \
	  echo "make book needs Node.js and npm to fetch MathJax and the widget manager"; \
	  echo "(Debian/Ubuntu: apt-get install npm, or run 'make sysdeps')"; exit 1; }
	$(NPM) ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed

# Debian packages the tests need: bubblewrap and libseccomp2 (grading sandbox),
# Chromium (browser tests), PostgreSQL (gradebook tests), npm (the book's vendored
# JavaScript). Installed only if missing.
sysdeps:
	@missing=""; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	command -v bwrap >/dev/null 2>&1 || missing="$$missing bubblewrap"; \
	ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2 ' || missing="$$missing libseccomp2"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The build command of the site. tests/book runs this same target (adding --all and,
# for private runs, --toc/--path-output through BOOK_ARGS), so CI builds the book once.
BOOK_FLAGS := -W -n --keep-going
BOOK_ARGS  ?=
# One BLAS thread: the chapters multiply small matrices, for which OpenBLAS's threads
# cost more than they save (up to 50x slower on a busy 2-core machine).
book: install assets book/assignments/.published notebooks
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/jupyter-book build . $(BOOK_FLAGS) $(BOOK_ARGS)

# Every chapter (MyST Markdown) has a notebook next to it, book/NN_name.ipynb, generated
# by jupytext and committed: the launch buttons (Binder, JupyterHub, Colab) open the
# notebook when one exists, and Colab cannot open Markdown. Sphinx ignores these copies
# (exclude_patterns in _config.yml); tests/book/test_notebook_pairs.py keeps them in sync.
CHAPTERS  := $(wildcard book/[0-9][0-9]_*.md)
NOTEBOOKS := $(CHAPTERS:.md=.ipynb)
$(NOTEBOOKS): book/%.ipynb: book/%.md | install
	$(BIN)/jupytext --quiet --to ipynb --output $@ $<
notebooks: $(NOTEBOOKS)

# The book renders the student versions of the exercises (never the solutions): the
# same `release` an instructor runs, into a build-only course, published into
# book/assignments/ when a source assignment changes.
# An exercise is its folder solutions/<name>/ (the .md source, hidden.py, data files).
ASSIGNMENT_SOURCES := $(filter-out %/__pycache__,$(wildcard solutions/*/*)) solutions/rnncheck.py
book/assignments/.published: $(ASSIGNMENT_SOURCES) | install
	rm -rf _build/book-course
	$(BIN)/python -m autograder release --course _build/book-course --publish book/assignments > /dev/null
	touch $@

test: install-test sysdeps assets
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python benchmarks/bench_ref.py

bench-book: install assets
	$(BIN)/python benchmarks/bench_book.py

clean:
	rm -rf _build

# Student versions of every assignment, generated from solutions/ by nbgrader
# (python -m autograder release) into course/release/; nobody edits them by hand.
COURSE ?= course
release: install
	$(BIN)/python -m autograder release --course $(COURSE)

# Demo submissions (correct, partial, typical bugs, untouched, late, broken), written
# from a fresh release so that they match the current exercises; never committed.
SAMPLES := _build/samples
samples: install
	$(BIN)/python -m autograder.demo $(SAMPLES) ex02_tdnn ex05_elman

# Grade the demo submissions with the SQLite gradebook, in the sandbox, and print the export.
DEMO := _build/demo-course
grade-demo: install sysdeps assets samples
	rm -rf $(DEMO)
	$(BIN)/python -m autograder release --course $(DEMO) --due "2026-11-01 23:59 UTC" ex02_tdnn ex05_elman
	$(BIN)/python -m autograder collect --course $(DEMO) ex02_tdnn $(SAMPLES)/ex02_tdnn
	$(BIN)/python -m autograder collect --course $(DEMO) ex05_elman $(SAMPLES)/ex05_elman
	$(BIN)/python -m autograder grade --course $(DEMO)
	$(BIN)/python -m autograder feedback --course $(DEMO)
	$(BIN)/python -m autograder export --course $(DEMO)
	$(BIN)/python -m autograder report --course $(DEMO)
