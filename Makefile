# kiemphieu: `make run` and `make test` work on a fresh machine with python3 (>= 3.11).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck pytest jstest node-deps bench vectors clean system-deps test-deps

# Debian packages, installed only when missing and only where apt-get can run
# as root. `make run` needs DejaVu Sans (Vietnamese text in the PDFs); the
# tests also need chromium (driven by playwright-core in tests/e2e/), node and
# npm (the booth's tests), poppler-utils and zbar-tools (the QR code printed
# on the minutes is rendered and decoded back).
APT_INSTALL := apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -qq --no-install-recommends
CAN_APT := command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]

system-deps:
	@if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
		if $(CAN_APT); then $(APT_INSTALL) fonts-dejavu-core; \
		else echo "warning: install fonts-dejavu-core (DejaVu Sans) for the PDF documents" >&2; fi; \
	fi

test-deps: system-deps
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v zbarimg >/dev/null 2>&1 || missing="$$missing zbar-tools"; \
	if [ -n "$$missing" ]; then \
		if $(CAN_APT); then $(APT_INSTALL) $$missing; \
		else echo "error: install the Debian packages$$missing for the tests" >&2; exit 1; fi; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: system-deps $(STAMP)
	$(BIN)/kiemphieu demo

test: test-deps lint typecheck jstest pytest

# The booth's pinned npm packages (client/web/package-lock.json), reinstalled when
# node_modules is missing or the lock changed; vendor/ is checked against them.
WEB        := client/web
NODE_STAMP := $(WEB)/node_modules/.installed-stamp
$(NODE_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	npm ci --prefix $(WEB) --no-audit --no-fund
	touch $(NODE_STAMP)

node-deps: test-deps $(NODE_STAMP)

jstest: node-deps
	node --test tests/js/

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

pytest: $(STAMP) node-deps
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/kiemphieu bench

vectors: $(STAMP)
	$(BIN)/python tests/vectors/generate.py

clean:
	rm -rf $(VENV) .typecheck .pytest_cache .mypy_cache .ruff_cache build *.egg-info
