# zkalert: everything a user or CI runs goes through these targets.
#   make setup   install the toolchain into the project (idempotent, offline-safe)
#   make test    lint, the documentation site, forge test + pytest
#   make docs    the documentation site, strict and offline: build/site/
#   make demo    the whole pipeline on a local anvil, Table I metrics
#   make bench   naive EZKL vs tuned vs batched proofs, same windows: $(REPORTS)/bench/
#   make load-test  the utility service under ingest and proof requests: $(REPORTS)/load/
#   make evaluate  detection quality vs a PCA T²/Q baseline + in-circuit parity: $(REPORTS)/evaluate/
#   make demo-ts / bench-ts  time-series mode: EKF, chained TC/SC proofs, attacks, the plant view; $(REPORTS)/timeseries/
#   make dist    a wheel of the package, compiled contracts inside: dist/
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Foundry's platform binaries, not npm's launchers in node_modules/.bin: those are node scripts
# that exit 0 whatever forge returned, so a failing forge test would not fail make.
FOUNDRY_OS := $(shell uname -s | tr '[:upper:]' '[:lower:]')
FOUNDRY_ARCH := $(if $(filter x86_64 amd64,$(shell uname -m)),amd64,arm64)
FOUNDRY_BIN := $(foreach t,forge cast anvil,$(CURDIR)/.tools/node_modules/@foundry-rs/$(t)-$(FOUNDRY_OS)-$(FOUNDRY_ARCH)/bin)
empty :=
space := $(empty) $(empty)
export PATH := $(subst $(space),:,$(FOUNDRY_BIN)):$(CURDIR)/$(VENV)/bin:$(PATH)
# Where the commands that measure (bench, evaluate, demo, soak, time-series bench/agreement/demo)
# write their reports; `make bench REPORTS=reports` refreshes the committed ones.
REPORTS ?= build/reports
export ZKALERT_REPORTS := $(abspath $(REPORTS))

.PHONY: dist lock setup setup-browser setup-postgres test test-sol test-py lint docs demo bench evaluate anvil anvil-stop fixtures snapshot soak load-test clean demo-ts bench-ts fixtures-ts

setup: $(VENV)/.installed .tools/.installed
	@$(PY) -c "from zkalert.toolchain import link_solc_for_consumers, solc; kept = link_solc_for_consumers(); print('solc:', solc()); [print('kept your compiler at', k) for k in kept]"
	@for t in forge cast anvil; do command -v $$t | grep -q '/@foundry-rs/' || { echo "$$t: platform binary missing under .tools/node_modules/@foundry-rs (rerun: rm .tools/.installed && make setup)" >&2; exit 1; }; done
	@forge --version | head -1

# Every package at the version in requirements.lock (pip constraints), the versions the tests passed with.
$(VENV)/.installed: pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (3.11)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and exactly pinned: an unpinned torch pulls a multi-GB CUDA build
	$(PY) -m pip install -q -c requirements.lock torch
	$(PY) -m pip install -q -c requirements.lock -e '.[dev]'
	@touch $@

# Rewrite requirements.lock from the current .venv (after changing a dependency and passing make test).
lock:
	@{ echo "# The tested versions of every Python package zkalert installs (a pip constraints file):"; \
	  echo "# make setup installs with -c requirements.lock; make lock rewrites it from the current .venv."; \
	  $(PY) -m pip freeze --exclude-editable | sed 's/+cpu$$//' | LC_ALL=C sort -f; } > requirements.lock
	@echo "requirements.lock: $$(grep -c '==' requirements.lock) packages"

# Debian's chromium for the services' browser test: Playwright drives /usr/bin/chromium,
# its own browser download does not work offline. Idempotent: apt-get only when chromium is missing.
setup-browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver; }

# Debian's PostgreSQL server binaries: the services' test runs a throwaway server for the
# optional PostgreSQL window store. Idempotent: apt-get only when no initdb is installed.
setup-postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql; }

# npm ci: exactly the versions in .tools/package-lock.json
.tools/.installed: .tools/package.json .tools/package-lock.json
	cd .tools && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# the browser and the PostgreSQL server are for the services' tests only, so only make test installs them
test: setup setup-browser setup-postgres lint docs test-sol test-py

# ruff over the Python package and its tests (rules: ruff's defaults of the pinned version),
# its formatter in check mode (`ruff format py` applies it), then mypy --strict over the package
# (its settings: [tool.mypy] in pyproject.toml)
lint: setup
	$(VENV)/bin/ruff check py docs/hooks
	$(VENV)/bin/ruff format --check py docs/hooks
	$(VENV)/bin/mypy

# The documentation site from mkdocs.yml and docs/ into build/site/ (open build/site/index.html).
# --strict turns every warning into a failure, and mkdocs.yml's validation makes a broken internal
# link, anchor or nav entry a warning. The CLI, REST and contract references are generated at
# build time (docs/hooks/reference.py); the contracts' reads the NatSpec in forge's out/.
# Two notices that do not concern the site are silenced, so that its build prints only its own
# warnings: forge's lint of the contracts' style on every build (test-sol's forge test still shows
# it) and mkdocs-material 9.8's notice of its end of life (2027).
docs: setup
	FOUNDRY_LINT_LINT_ON_BUILD=false forge build
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# Every forge test (fuzz and invariant included), then the gas of the deterministic tests against
# .gas-snapshot. Fuzz tests stay out of the snapshot: their inputs come from a dictionary built from
# the compiled bytecode, so their mean gas moves with unrelated contract changes. forge 1.7.1's own
# `snapshot --check` prints differences but exits 0, hence the diff. `make snapshot` updates the file.
SNAPSHOT_FILTER = --no-match-test '^(testFuzz|invariant)'
test-sol:
	forge test
	@mkdir -p build
	forge snapshot $(SNAPSHOT_FILTER) --snap build/gas-snapshot.now > /dev/null
	@diff -u .gas-snapshot build/gas-snapshot.now || { echo "gas moved from .gas-snapshot (above); if intended: make snapshot" >&2; exit 1; }

# The test modules run side by side on TEST_WORKERS processes (pytest-xdist), each module whole on
# one of them (its fixtures are built once), longest first (conftest.py); TEST_WORKERS=0 runs them
# in this process.
TEST_WORKERS ?= 2
test-py:
	$(PY) -m pytest -q $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder)

demo: setup
	$(VENV)/bin/zkalert demo

# Proving benchmark: under 20 minutes on 2 cores; writes $(REPORTS)/bench/.
bench: setup
	$(VENV)/bin/zkalert bench

# Detection quality vs the PCA T²/Q baseline, and every TE test window through the circuit
# (witness only, about 15-30 minutes): $(REPORTS)/evaluate/
evaluate: setup
	$(VENV)/bin/zkalert evaluate --family

anvil: setup
	$(VENV)/bin/zkalert node start

anvil-stop:
	$(VENV)/bin/zkalert node stop

# Regenerate the committed proof fixtures and their verifiers (test/generated/FixtureVerifier.sol,
# FixtureKzg*Verifier.sol, ForeignVerifier.sol: verifiers of test circuits, for tests only; the
# VKA fixture's circuit is verified by the committed contracts/generated/Halo2VerifierReusable.sol).
fixtures: setup
	$(PY) -m zkalert.lab.fixtures
	$(PY) -m zkalert.lab.fixtures kzg
	$(PY) -m zkalert.lab.fixtures vka
	$(PY) -m zkalert.lab.attackfixtures

snapshot:
	forge snapshot $(SNAPSHOT_FILTER)

# Durability soak: hundreds of real alerts under random faults, not part of `make test`.
# Needs a compiled workspace (SOAK_WORKDIR; build/fixture exists after `make fixtures`); proofs are cached.
SOAK_WORKDIR ?= build/fixture
SOAK_ARGS ?= --alerts 300 --streams 5
soak: setup
	$(VENV)/bin/zkalert soak --workdir $(SOAK_WORKDIR) $(SOAK_ARGS)

# Load test of the utility service: gateway ingest, readers and regulators' proof requests on
# loopback, proofs on its embedded proving cluster (a few minutes); $(REPORTS)/load/.
# Needs a compiled single-window workspace (LOAD_WORKDIR; `make demo` makes build/).
LOAD_WORKDIR ?= build
LOAD_ARGS ?=
load-test: setup
	$(VENV)/bin/zkalert load-test --workdir $(LOAD_WORKDIR) $(LOAD_ARGS)

# ---- time-series mode
# A TE fault scenario on a fresh anvil (port 8877, chain 31777) with every attack, checked by the audit.
demo-ts: setup
	$(VENV)/bin/zkalert ts demo

# Real-size runs: per D (1, 4, 8, 16) and PSF (8, 10, 12, the zkSTAR sweep) setup/prove/verify/
# sizes/RSS; false alarms and detection of the default detectors and the plant alarm over all 22
# TE test runs (float); the TC circuit's cells per EKF step; then alarm agreement over the same
# runs of each subsystem (windows of 8 steps, D = 8, PSF 12; witness outputs vs the float EKF),
# 0.6-1.3 min per run on a quiet machine; $(REPORTS)/timeseries/README.md.
TS_BENCH_ARGS ?= --steps 1 --steps 4 --steps 8 --steps 16 --psf 8 --psf 10 --psf 12 --proofs 3
bench-ts: setup
	$(VENV)/bin/zkalert ts bench $(TS_BENCH_ARGS)
	$(VENV)/bin/zkalert ts detection
	$(VENV)/bin/zkalert ts cells
	for s in reactor separator stripper; do \
	  $(VENV)/bin/zkalert ts agreement --subsystem $$s --steps 8 --psf 12 || exit 1; done

# Regenerate test/fixtures/ts/*.json and test/generated/TsFixture*Verifier.sol together.
fixtures-ts: setup
	$(PY) -m zkalert.lab.timeseries.fixtures

# The installable package: a wheel with the compiled registries' ABIs and bytecode inside
# (zkalert/evm/contracts/), so `pip install dist/zkalert-*.whl` works outside the repository.
# No build isolation: the build uses the locked setuptools and fetches nothing.
dist: setup
	forge build
	rm -rf py/zkalert/evm/contracts dist
	$(PY) -m zkalert.evm.artifacts py/zkalert/evm/contracts
	$(PY) -m pip wheel -q --no-deps --no-build-isolation -w dist .
	@ls dist/*.whl

clean:
	rm -rf out cache broadcast build reports/demo dist py/zkalert/evm/contracts
