# Frontdesk: `make run` serves the demo clinic, `make test` runs every suite.
# Both install what is missing first (Rust target, cargo-leptos, wasm-bindgen, npm tools).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

LEPTOS_VERSION       := 0.3.10
WASM_BINDGEN_VERSION := 0.2.130

# Build outputs live outside the clone, so a fresh clone on a machine that has built
# before reuses them. Release (served) and test builds use different flags: separate dirs.
CACHE            ?= $(HOME)/.cache/frontdesk
RELEASE_TARGET   ?= $(CACHE)/target
TEST_TARGET      ?= $(CACHE)/target-test
export PATH      := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

BIN      := $(RELEASE_TARGET)/server-release/frontdesk
PG_URL   ?= postgres://postgres@127.0.0.1:5432

.PHONY: run dev build tools npm test lint fmt-check clippy unit-and-api api-postgres drop-test-databases e2e clean bench bench-10m bench-clean loadtest queueload loadtest-servers lighthouse bundle-budget

## run: build the release, migrate, seed the demo clinic on first start, serve on :3000
run: build
	@mkdir -p data
	FRONTDESK_SITE_ROOT=target/site $(BIN) serve

## dev: rebuild and restart on every change (debug build)
dev: tools
	@mkdir -p data
	CARGO_TARGET_DIR=$(CACHE)/target-dev cargo leptos watch --project frontdesk

# Two bundles: the patients' (their pages and sign-in, `frontend-patient`) first, its files
# kept aside because every build empties target/site, then the app's with the server. Both
# share one front target dir and every compiled dependency; the server reads each bundle's
# file names from hash.txt and hash-patient.txt beside it.
PATIENT_KEEP := $(CACHE)/patient-bundle
build: tools
	rm -f $(RELEASE_TARGET)/server-release/hash-patient.txt
	CARGO_TARGET_DIR=$(RELEASE_TARGET) cargo leptos build --release --precompress --project patient --frontend-only
	rm -rf $(PATIENT_KEEP) && mkdir -p $(PATIENT_KEEP)
	@js=$$(sed -n 's/^js: *//p' $(RELEASE_TARGET)/server-release/hash-patient.txt); \
	  wasm=$$(sed -n 's/^wasm: *//p' $(RELEASE_TARGET)/server-release/hash-patient.txt); \
	  cp target/site/pkg/frontdesk.$$js.js* target/site/pkg/frontdesk.$$wasm.wasm* $(PATIENT_KEEP)/
	CARGO_TARGET_DIR=$(RELEASE_TARGET) cargo leptos build --release --precompress --project frontdesk
	cp $(PATIENT_KEEP)/frontdesk.* target/site/pkg/

tools: npm
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
	  || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q " $(LEPTOS_VERSION)" \
	  || cargo install cargo-leptos --locked --version $(LEPTOS_VERSION)
	@wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)" \
	  || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

# wasm-opt (npm's binaryen) for release builds, and Playwright for the browser tests.
npm: end2end/node_modules/.package-lock.json
end2end/node_modules/.package-lock.json: end2end/package-lock.json
	cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	@touch $@

## test: formatting, clippy, unit and API tests (SQLite, then Postgres), browser tests
test: lint unit-and-api api-postgres e2e bundle-budget
	@echo "make test: every suite passed"

lint: fmt-check clippy

fmt-check:
	cargo fmt --all -- --check

clippy: tools
	CARGO_TARGET_DIR=$(TEST_TARGET) cargo clippy -p app --features ssr --all-targets -- -D warnings
	CARGO_TARGET_DIR=$(TEST_TARGET) cargo clippy -p server -p migrations --all-targets -- -D warnings
	CARGO_TARGET_DIR=$(TEST_TARGET) cargo clippy -p frontend -p frontend-patient --target wasm32-unknown-unknown -- -D warnings

# Tests that need the Postgres pass: skipped by name over SQLite, and said so.
PG_ONLY := faults::a_postgres_restart_fails_requests_cleanly_and_the_server_recovers_by_itself

unit-and-api:
	CARGO_TARGET_DIR=$(TEST_TARGET) cargo test -p app -p server -p migrations --features app/ssr \
	  -- --skip $(PG_ONLY)
	@echo "SKIPPED over SQLite (run in the Postgres pass): $(PG_ONLY)"

# The API suite again, each test over a fresh Postgres database. Skipped (and said so) when
# no Postgres answers, unless FRONTDESK_REQUIRE_POSTGRES=1 (as in CI).
api-postgres:
	@if psql "$(PG_URL)/postgres" -Atqc 'select 1' >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory drop-test-databases; \
	  trap '$(MAKE) --no-print-directory drop-test-databases' EXIT; \
	  CARGO_TARGET_DIR=$(TEST_TARGET) FRONTDESK_TEST_POSTGRES=$(PG_URL) \
	    cargo test -p app -p server -p migrations --features app/ssr --test api; \
	elif [ "$${FRONTDESK_REQUIRE_POSTGRES:-0}" = 1 ]; then \
	  echo "Postgres is required but does not answer at $(PG_URL)"; exit 1; \
	else \
	  echo "SKIPPED: API tests over Postgres (no Postgres answers at $(PG_URL))"; \
	fi

# Each Postgres API test creates a database named frontdesk_test_<random>.
drop-test-databases:
	@for db in $$(psql "$(PG_URL)/postgres" -Atqc \
	    "select datname from pg_database where datname like 'frontdesk\_test\_%'"); do \
	  psql "$(PG_URL)/postgres" -qc "DROP DATABASE IF EXISTS $$db WITH (FORCE)" >/dev/null; \
	done

e2e: build
	BIN=$(BIN) end2end/run.sh

# Each bundle's first load (its wasm + JS, brotli quality 11, as served) against its budget:
# the patients' pages and sign-in (goal 100 KB), and the admin pages' app, whose budget may
# only go down (goal 200 KB; BENCHMARKS.md says how far off it is and why).
PATIENT_BUDGET_KB ?= 170
BUNDLE_BUDGET_KB  ?= 522
bundle-budget: build
	@command -v brotli >/dev/null || apt-get install -y brotli >/dev/null 2>&1 || sudo apt-get install -y brotli >/dev/null
	@measure() { \
	  js=$$(sed -n 's/^js: *//p' "$$2"); wasm=$$(sed -n 's/^wasm: *//p' "$$2"); raw=0; br=0; \
	  for f in target/site/pkg/frontdesk.$$js.js target/site/pkg/frontdesk.$$wasm.wasm; do \
	    raw=$$((raw + $$(stat -c %s "$$f"))); br=$$((br + $$(brotli -c -q 11 "$$f" | wc -c))); done; \
	  echo "$$1 (wasm + JS): $$((raw / 1024)) KB raw, $$((br / 1024)) KB brotli; budget $$3 KB, goal $$4 KB"; \
	  if [ $$((br / 1024)) -gt $$3 ]; then echo "FAIL: $$1's bundle grew past its budget"; return 1; fi; }; \
	  status=0; \
	  measure "patients' pages and sign-in" $(RELEASE_TARGET)/server-release/hash-patient.txt $(PATIENT_BUDGET_KB) 100 || status=1; \
	  measure "admin pages" $(RELEASE_TARGET)/server-release/hash.txt $(BUNDLE_BUDGET_KB) 200 || status=1; \
	  exit $$status

clean:
	rm -rf target data end2end/test-results

## bench: the users table at scale (1,000,000 members) on SQLite and Postgres, then the served
## app over the SQLite one (start, searches/s, sign-ins, memory, Chromium); see BENCHMARKS.md
BENCH_MEMBERS ?= 1000000
BENCH_DIR     ?= $(CACHE)/bench
bench: build
	@mkdir -p $(BENCH_DIR)
	FRONTDESK_LOG=warn FRONTDESK_SITE_ROOT=target/site $(BIN) --database-url "sqlite://$(BENCH_DIR)/frontdesk-bench.db?mode=rwc" \
	  bench --members $(BENCH_MEMBERS) --label "SQLite ($(BENCH_MEMBERS) members)" | tee $(BENCH_DIR)/sqlite.md
	@if psql "$(PG_URL)/postgres" -Atqc 'select 1' >/dev/null 2>&1; then \
	  psql "$(PG_URL)/postgres" -Atqc "select 1 from pg_database where datname = 'frontdesk_bench'" | grep -q 1 \
	    || psql "$(PG_URL)/postgres" -qc "CREATE DATABASE frontdesk_bench"; \
	  FRONTDESK_LOG=warn FRONTDESK_SITE_ROOT=target/site $(BIN) --database-url "$(PG_URL)/frontdesk_bench" \
	    bench --members $(BENCH_MEMBERS) --label "Postgres ($(BENCH_MEMBERS) members)" | tee $(BENCH_DIR)/postgres.md; \
	else echo "SKIPPED: Postgres benchmark (no Postgres answers at $(PG_URL))"; fi
	BIN=$(BIN) BENCH_DB=$(BENCH_DIR)/frontdesk-bench.db server/loadtest/scale.sh | tee $(BENCH_DIR)/served.md

## bench-10m: the query shapes, pages and writes at 10,000,000 members on Postgres (70 % in
## one clinic), in a database of its own (frontdesk_bench10m); not part of make test.
bench-10m: build
	psql "$(PG_URL)/postgres" -Atqc "select 1 from pg_database where datname = 'frontdesk_bench10m'" | grep -q 1 \
	  || psql "$(PG_URL)/postgres" -qc "CREATE DATABASE frontdesk_bench10m"
	@mkdir -p $(BENCH_DIR)
	FRONTDESK_LOG=warn FRONTDESK_SITE_ROOT=target/site $(BIN) --database-url "$(PG_URL)/frontdesk_bench10m" \
	  bench --members 10000000 --iterations 100 --import-rows 0 \
	  --label "Postgres (10000000 members)" | tee $(BENCH_DIR)/postgres-10m.md

## lighthouse: Lighthouse's mobile preset on the patients' pages (performance, accessibility),
## three runs each, over a fresh demo database; see server/loadtest/lighthouse.sh.
lighthouse: build
	BIN=$(BIN) server/loadtest/lighthouse.sh

## bench-clean: forget the seeded benchmark databases
bench-clean:
	rm -rf $(BENCH_DIR)
	psql "$(PG_URL)/postgres" -qc "DROP DATABASE IF EXISTS frontdesk_bench WITH (FORCE)" || true
	psql "$(PG_URL)/postgres" -qc "DROP DATABASE IF EXISTS frontdesk_bench10m WITH (FORCE)" || true

## loadtest: wrk against the release build: 200 connections for 60 s mixing search, detail,
## edit and sign-in (no errors, every write accounted for), then searches during a
## sign-in storm. About 3 minutes; see server/loadtest/run.sh.
loadtest: build
	BIN=$(BIN) server/loadtest/run.sh

## queueload: 50 rooms of 40 waiting patients and 20 providers' dashboards, while the admin
## searches (p99 within 1.5x of alone; started visits seen within 2 s). About 5 minutes;
## server/loadtest/queue.sh.
queueload: build
	BIN=$(BIN) server/loadtest/queue.sh

## loadtest-servers: three servers on one Postgres behind haproxy under the loadtest's mix:
## throughput with one, two and three, one killed mid-run (no acknowledged write lost), a
## save seen at once by the others, each email sent once, each due account deleted once.
## About 5 minutes; server/loadtest/servers.sh.
loadtest-servers: build
	BIN=$(BIN) PG_URL=$(PG_URL) server/loadtest/servers.sh
