# Two commands for a fresh machine (see README.md):
#   make book   create .venv, install, build the site into _build/html
#   make test   install the test extras and the Debian packages, run every test
#
# Everything is installed into .venv from requirements*.txt; nothing by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: book test sysdeps install install-test release grade-demo bench clean help

help:
	@echo "make book        build the site into _build/html (creates .venv)"
	@echo "make test        run every test (installs test extras and Debian packages)"
	@echo "make release     generate the student notebooks from solutions/ with nbgrader"
	@echo "make grade-demo  grade the shipped sample submissions and print the export"
	@echo "make bench       run the benchmarks (prints ratios against PyTorch / nbgrader)"

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian packages the tests need: bubblewrap (grading sandbox), Chromium (browser
# tests), PostgreSQL (gradebook tests). Installed only if missing.
sysdeps:
	@missing=""; \
	command -v bwrap >/dev/null 2>&1 || missing="$$missing bubblewrap"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

book: install
	$(BIN)/jupyter-book build . -W -n --keep-going

test: install-test sysdeps
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python benchmarks/bench_ref.py

clean:
	rm -rf _build
