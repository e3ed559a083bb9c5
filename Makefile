# kiemphieu: `make run` and `make test` work on a fresh machine with python3 (>= 3.11).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck pytest bench vectors clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kiemphieu bench

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy sees the folders under their installed names through a symlink tree.
typecheck: $(STAMP)
	mkdir -p .typecheck/kiemphieu
	ln -sfn ../../crypto .typecheck/kiemphieu/crypto
	ln -sfn ../../server .typecheck/kiemphieu/server
	ln -sfn ../../client .typecheck/kiemphieu/client
	cd .typecheck && ../$(BIN)/mypy --config-file ../pyproject.toml \
		-p kiemphieu.crypto -p kiemphieu.server -p kiemphieu.client

pytest: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/kiemphieu bench

vectors: $(STAMP)
	$(BIN)/python tests/vectors/generate.py

clean:
	rm -rf $(VENV) .typecheck .pytest_cache .mypy_cache .ruff_cache build *.egg-info
