# logd: `make run` starts a node on 127.0.0.1:1774 with data in ./data; `make test` checks everything.
NODE_TS := node --import tsx
# The node id of `make run` (the README's session writes to alice): `make run ID=bob`.
ID ?= alice
BUILD_INPUTS := $(shell find src protocol tools/logtool tools/logtail -type f ! -name '*.txt' ! -name '*.md') $(wildcard tools/*.ts) tools/build.js tsconfig.build.json
.PHONY: install build run test typecheck cover bench bench-quick bench-storage bench-server bench-replication soak clean

install: node_modules/.install-stamp

node_modules/.install-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# dist/: the compiled package that bin/ runs (npm ci builds it too; this rebuilds after an edit).
build: dist/.build-stamp

dist/.build-stamp: $(BUILD_INPUTS) | install
	npm run --silent build

run: build
	node bin/logd.js --id $(ID) --data ./data --listen 127.0.0.1:1774

# Three nodes (alice, bob, carol) replicating each other on 1774-1776, status pages on 8774-8776,
# data in ./cluster; Ctrl-C stops them. `make cluster ARGS=--help` for the options.
.PHONY: cluster
cluster: build
	$(NODE_TS) tools/cluster.ts $(ARGS)

typecheck: install
	npx tsc --noEmit

test: typecheck build
	npx ava

# Line coverage of the whole suite; the floors are what the suite meets (src/storage >= 85%).
cover: build
	npx c8 --check-coverage --lines 85 --include 'src/storage/**' --reporter text-summary --reporter text npx ava

bench-storage: build
	$(NODE_TS) tools/bench/storage.ts

bench-server: build
	$(NODE_TS) tools/bench/server.ts

bench-replication: build
	$(NODE_TS) tools/bench/replication.ts

bench: build
	$(NODE_TS) tools/bench/compare.ts

bench-quick: build
	$(NODE_TS) tools/bench/compare.ts --quick

# The long hostile runs (50 crash cycles, 100k fuzz cases, ...), one file at a time; figures in the t.log lines.
soak: install
	LOGD_SOAK=1 npx ava --concurrency 1 --timeout 60m test/hostile

clean:
	rm -rf data cluster coverage dist
