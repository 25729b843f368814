# pg_versioning — every entry point a person or CI uses.
#   make demo   installs what is missing, builds, starts a throwaway PostgreSQL, runs demo/demo.sql
#   make test   installs what is missing, lints, and runs every test tier on every major
#   make test PG=16   the same on one major (PG=… picks the major for any target)
#   make lint   rustfmt and clippy (warnings are errors)
#   make regress TEST=02_insert, make isolation TEST=same_key_insert   one test (cluster running)
#   make bench  the benchmark (ratios against plain inserts), printed
# The toolchain (pgrx version, PostgreSQL majors, pg_config paths) is named in pgrx.toml.

SHELL      := /bin/bash
# PG=16 selects a major of pgrx.toml; scripts/toolchain.sh (and so every script) reads it as
# PGV_MAJOR from the environment.
ifneq ($(PG),)
export PGV_MAJOR := $(PG)
endif
# ($(shell) does not see exported variables in make 4.3: the major is passed explicitly.)
PG_MAJOR   := $(if $(PG),$(PG),$(shell scripts/toolchain.sh pg-major))
PG_CONFIG  := $(shell scripts/toolchain.sh pg-config $(PG_MAJOR))
ALL_MAJORS := $(shell scripts/toolchain.sh pg-majors)
TEST_MAJORS := $(if $(PG),$(PG),$(ALL_MAJORS))
# One cargo target directory per major, kept across runs: switching majors rebuilds nothing.
export CARGO_TARGET_DIR := $(CURDIR)/target/pg$(PG_MAJOR)
PGCTL      := scripts/pg.sh

.PHONY: demo test test-major bench deps install lint unit regress isolation dump-restore races replication crash cron upgrade pg-upgrade cluster stop clean print-toolchain

demo: install
	@$(PGCTL) start
	@$(PGCTL) psql -q -f demo/demo.sql; status=$$?; $(PGCTL) stop; exit $$status

# lint and unit run once, first (a formatting or clippy error fails fast); then every tier
# on each major in turn (test-major), each with its own build, cluster and ports; then
# pg_upgrade from each older major tested to the newest one (both builds are installed by then).
test:
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory unit
	@status=0; failed=""; newest=$(lastword $(ALL_MAJORS)); \
	  for m in $(TEST_MAJORS); do \
	    echo "=== PostgreSQL $$m ==="; \
	    PGV_MAJOR=$$m $(MAKE) --no-print-directory test-major || { status=1; failed="$$failed $$m"; }; \
	  done; \
	  case " $(TEST_MAJORS) " in *" $$newest "*) \
	    for m in $(TEST_MAJORS); do \
	      [ $$m = $$newest ] && continue; \
	      echo "=== pg_upgrade $$m → $$newest ==="; \
	      tests/pg_upgrade/run.sh $$m $$newest || { status=1; failed="$$failed pg_upgrade-$$m-$$newest"; }; \
	    done;; \
	  esac; \
	  if [ $$status = 0 ]; then echo "make test: every tier passed on PostgreSQL $(TEST_MAJORS)"; \
	  else echo "make test: FAILED on PostgreSQL$$failed (see above)"; fi; \
	  exit $$status

# Every tier on the major in use (PGV_MAJOR, set by `make test`).
test-major:
	@$(MAKE) --no-print-directory install
	@$(PGCTL) start
	@status=0; \
	  $(MAKE) --no-print-directory regress || status=1; \
	  $(MAKE) --no-print-directory isolation || status=1; \
	  $(MAKE) --no-print-directory dump-restore || status=1; \
	  $(MAKE) --no-print-directory races || status=1; \
	  $(PGCTL) stop; \
	  $(MAKE) --no-print-directory replication || status=1; \
	  $(MAKE) --no-print-directory crash || status=1; \
	  $(MAKE) --no-print-directory cron || status=1; \
	  $(MAKE) --no-print-directory upgrade || status=1; \
	  if [ $$status = 0 ]; then echo "PostgreSQL $(PG_MAJOR): every tier passed"; else echo "PostgreSQL $(PG_MAJOR): FAILED"; fi; \
	  exit $$status

bench: install
	@$(PGCTL) start
	@bench/run.sh; status=$$?; $(PGCTL) stop; exit $$status

deps:
	@scripts/deps.sh

# Builds the extension in release mode and installs it into the pinned PostgreSQL (through
# sudo where its directories are not the user's: Debian's PostgreSQL for a non-root user).
install: deps
	@echo "install: cargo pgrx install --release (pg$(PG_MAJOR))"
	@sudo=""; [ -w "$$($(PG_CONFIG) --pkglibdir)" ] || sudo=--sudo; \
	  mkdir -p $(CARGO_TARGET_DIR) && cargo pgrx install --release $$sudo --pg-config $(PG_CONFIG) --features pg$(PG_MAJOR) --no-default-features >$(CARGO_TARGET_DIR)/install.log 2>&1 \
	  || { tail -n 40 $(CARGO_TARGET_DIR)/install.log; exit 1; }

# rustfmt, and clippy over every crate and target with warnings as errors. The extension
# crate builds only with a PostgreSQL feature: the default major of pgrx.toml.
lint: deps
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --features pg$(PG_MAJOR) --no-default-features -- -D warnings

# Plain Rust tests of the pure logic (canonical JSON, hashing, …), with property tests.
# versioning_core is a plain crate: this needs cargo only (no pgrx, no PostgreSQL).
unit:
	cargo test --release -p versioning_core

# The SQL surface as a user sees it (pg_regress, against the running throwaway cluster):
# tests/pg_regress, then examples/. TEST=02_insert (or TEST=001_review_workflow) runs one
# file; 00_setup runs before any tests/pg_regress file.
regress:
	@scripts/run-regress.sh $(TEST)

# Concurrency promises (isolation specs), each at READ COMMITTED, REPEATABLE READ and
# SERIALIZABLE. TEST=same_key_insert runs one spec (at all three levels).
isolation:
	@scripts/run-isolation.sh $(TEST)

# pg_dump -Fc + pg_restore round trip, then versioning continues.
dump-restore:
	@tests/dump_restore/run.sh

# Races under load that an isolation spec cannot time (pgbench against the running cluster).
races:
	@tests/races/run.sh

# Logical replication to a subscriber, then failover (two throwaway clusters of its own).
replication:
	@tests/replication/run.sh

# Crash recovery: pg_ctl stop -m immediate under concurrent writers and an uncommitted bulk
# load, three cycles (a throwaway cluster of its own).
crash:
	@tests/crash/run.sh

# versioning.prune() and versioning.run_due() run by the real pg_cron (a cluster of its own;
# the majors that have a pg_cron build).
cron:
	@tests/cron/run.sh

# ALTER EXTENSION … UPDATE from the previous release (tests/upgrade/FROM_*), built at its commit;
# PostgreSQL 15 only. Swaps the installed files for its run and puts the current ones back.
upgrade:
	@tests/upgrade/run.sh

# pg_upgrade of a cluster with versioned tables, from the first to the last major of pgrx.toml
# (both must be installed; `make test` runs it from every other major to the newest).
pg-upgrade:
	@tests/pg_upgrade/run.sh

cluster:
	@$(PGCTL) start && $(PGCTL) env
stop:
	@$(PGCTL) stop

print-toolchain:
	@echo "pgrx $$(scripts/toolchain.sh pgrx-version); PostgreSQL $(PG_MAJOR) via $(PG_CONFIG)"

clean:
	@$(PGCTL) destroy
	cargo clean
