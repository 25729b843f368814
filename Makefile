# pg_versioning — every entry point a person or CI uses.
#   make demo   installs what is missing, builds, starts a throwaway PostgreSQL, runs demo/demo.sql
#   make test   installs what is missing, lints, and runs every test tier
#   make lint   rustfmt and clippy (warnings are errors)
#   make regress TEST=02_insert, make isolation TEST=same_key_insert   one test (cluster running)
#   make bench  the benchmark (ratios against plain inserts), printed
# The toolchain (pgrx version, PostgreSQL majors, pg_config paths) is named in pgrx.toml.

SHELL      := /bin/bash
PG_MAJOR   := $(shell scripts/toolchain.sh pg-major)
PG_CONFIG  := $(shell scripts/toolchain.sh pg-config $(PG_MAJOR))
PG         := scripts/pg.sh

.PHONY: demo test bench deps install lint unit regress isolation dump-restore races replication cluster stop clean print-toolchain

demo: install
	@$(PG) start
	@$(PG) psql -q -f demo/demo.sql; status=$$?; $(PG) stop; exit $$status

# lint runs first, before the (slower) install, so a formatting or clippy error fails fast.
test:
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory install
	@$(MAKE) --no-print-directory unit
	@$(PG) start
	@status=0; \
	  $(MAKE) --no-print-directory regress || status=1; \
	  $(MAKE) --no-print-directory isolation || status=1; \
	  $(MAKE) --no-print-directory dump-restore || status=1; \
	  $(MAKE) --no-print-directory races || status=1; \
	  $(PG) stop; \
	  $(MAKE) --no-print-directory replication || status=1; \
	  if [ $$status = 0 ]; then echo "make test: every tier passed"; else echo "make test: FAILED (see above)"; fi; \
	  exit $$status

bench: install
	@$(PG) start
	@bench/run.sh; status=$$?; $(PG) stop; exit $$status

deps:
	@scripts/deps.sh

# Builds the extension in release mode and installs it into the pinned PostgreSQL.
install: deps
	@echo "install: cargo pgrx install --release (pg$(PG_MAJOR))"
	@mkdir -p target && cargo pgrx install --release --pg-config $(PG_CONFIG) --features pg$(PG_MAJOR) --no-default-features >target/install.log 2>&1 \
	  || { tail -n 40 target/install.log; exit 1; }

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

cluster:
	@$(PG) start && $(PG) env
stop:
	@$(PG) stop

print-toolchain:
	@echo "pgrx $$(scripts/toolchain.sh pgrx-version); PostgreSQL $(PG_MAJOR) via $(PG_CONFIG)"

clean:
	@$(PG) destroy
	cargo clean
