# cco: build, run and test. `make run` starts the daemon in the foreground on
# the defaults; `make test` runs every check CI runs.

GO      ?= go
BIN     ?= bin/cco
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
PLATFORMS := darwin/amd64 darwin/arm64 windows/amd64
FUZZTIME ?= 60s
# The short run is counted in executions, not seconds: with a duration, Go
# 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" at the deadline (golang/go#75804, fixed in 1.27), which would
# make CI red for no input at all. 20000 executions take 4-15 s here.
FUZZTIME_SHORT ?= 20000x
# Fuzz targets as package/FuzzName; `make fuzz` runs each for FUZZTIME,
# `make test` for FUZZTIME_SHORT.
FUZZ_TARGETS := config/FuzzLoad server/FuzzSSEReader server/FuzzCacheKey
BENCH_RUNS ?= 10
# The end-to-end tests drive the real Claude Code, pinned, installed with
# npm under bin/ (make claude-code).
CLAUDE_CODE_VERSION ?= 2.1.332
CLAUDE_CODE_DIR := bin/tools/claude-code-$(CLAUDE_CODE_VERSION)
CLAUDE_CODE := $(CLAUDE_CODE_DIR)/node_modules/.bin/claude

.PHONY: all build run install deps test fmt-check vet unit wine-smoke e2e cross bench bench-smoke fuzz fuzz-short reliability prices claude-code clean

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) .

run: build
	./$(BIN) daemon run

# install puts cco where `go install` does ($GOBIN, else $GOPATH/bin).
install:
	$(GO) install -trimpath -ldflags "$(LDFLAGS)" .
	@dir=$$($(GO) env GOBIN); [ -n "$$dir" ] || dir=$$($(GO) env GOPATH)/bin; \
	echo "installed $$dir/cco"; \
	case ":$$PATH:" in *":$$dir:"*) ;; *) echo "note: $$dir is not on your PATH; add it: export PATH=\"$$dir:\$$PATH\"";; esac

# bench-smoke runs every benchmark figure for a few iterations so the
# harness cannot rot; it asserts nothing about the figures themselves.
test: deps fmt-check cross vet unit wine-smoke fuzz-short bench-smoke

# deps installs what the end-to-end tests drive (systemd, Chromium,
# PostgreSQL, Wine, npm) when it is missing and this is root on Debian;
# otherwise it says what is missing, and those tests skip.
deps:
	@scripts/test-deps.sh

fmt-check:
	@files=$$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'); out=$$(gofmt -l $$files); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi; \
	echo "gofmt: $$(echo $$files | wc -w) files checked, all formatted"

# vet covers the other platforms' files too. `test` runs it after cross so
# that their packages are compiled once, not once per step (a cold CI cache
# pays for every compile). One architecture per OS: no file in the tree is
# chosen by architecture, so a second darwin vet would only repeat the first.
VET_PLATFORMS := darwin/amd64 windows/amd64
vet:
	$(GO) vet ./...
	@for p in $(VET_PLATFORMS); do \
		echo "go vet (GOOS=$${p%/*} GOARCH=$${p#*/})"; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet ./... || exit 1; \
	done
	@echo "go vet -tags wine (the Wine smoke test)"; $(GO) vet -tags wine ./test/wine/ ./internal/winetest/

# Unit and end-to-end tests under the race detector; the end-to-end tests
# build the real binary with -race too (CCO_E2E_RACE).
unit: claude-code
	CCO_E2E_RACE=1 CCO_TEST_CLAUDE=$(abspath $(CLAUDE_CODE)) $(GO) test -race -count=1 -timeout 20m ./...

# The Windows build under Wine (test/wine, internal/winetest): the
# daemon's lifecycle and the Windows unit tests of the packages Wine can
# run. The prefix is kept in bin/wine (delete it for a cold run). Without
# Wine it says why and passes, unless WINE_SMOKE_REQUIRE=1 (CI).
wine-smoke:
	@mkdir -p bin
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o bin/cco-windows-amd64.exe .
	@cd test/wine && CCO_WINE_EXE=$(abspath bin/cco-windows-amd64.exe) $(GO) test -tags wine -count=1 -timeout 20m

e2e: claude-code
	CCO_TEST_CLAUDE=$(abspath $(CLAUDE_CODE)) $(GO) test -count=1 -v ./test/

claude-code: $(CLAUDE_CODE)

# npm puts the native binary in place (no install script is needed for
# it); a failed install leaves nothing behind to pass for it.
$(CLAUDE_CODE):
	@command -v npm >/dev/null || { echo "make: npm is needed to install Claude Code for the end-to-end tests (apt-get install -y npm, or Node.js 18+)"; exit 1; }
	@echo "npm install @anthropic-ai/claude-code@$(CLAUDE_CODE_VERSION) into $(CLAUDE_CODE_DIR)"
	@rm -rf $(CLAUDE_CODE_DIR).tmp && \
	npm install --prefix $(CLAUDE_CODE_DIR).tmp --no-audit --no-fund --loglevel=error @anthropic-ai/claude-code@$(CLAUDE_CODE_VERSION) >/dev/null && \
	$(CLAUDE_CODE_DIR).tmp/node_modules/.bin/claude --version >/dev/null && \
	rm -rf $(CLAUDE_CODE_DIR) && mv $(CLAUDE_CODE_DIR).tmp $(CLAUDE_CODE_DIR)

# Cross-compiles without -trimpath (unlike build): this is a check that
# every platform compiles and links, and sharing vet's compiler flags lets
# vet reuse what it compiled.
cross:
	@for p in $(PLATFORMS); do \
		out=bin/cco-$${p%/*}-$${p#*/}; [ $${p%/*} = windows ] && out=$$out.exe; \
		echo "go build $$out"; \
		GOOS=$${p%/*} GOARCH=$${p#*/} CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $$out . || exit 1; \
	done

# Ratios against baselines measured in the same run (see bench/main.go).
# Baselines (caddy, supervisor, nginx) are used when installed:
#   apt-get install -y caddy supervisor nginx-light
bench: claude-code
	CCO_BENCH_CLAUDE=$(abspath $(CLAUDE_CODE)) $(GO) run ./bench -runs $(BENCH_RUNS)

bench-smoke: claude-code
	CCO_BENCH_CLAUDE=$(abspath $(CLAUDE_CODE)) $(GO) run ./bench -quick -out ''


# go test runs one fuzz target at a time.
fuzz_run = for t in $(FUZZ_TARGETS); do \
		echo "go test -fuzz $${t\#*/} -fuzztime $(1) ./$${t%/*}/"; \
		$(GO) test -run '^$$' -fuzz "^$${t\#*/}$$" -fuzztime $(1) ./$${t%/*}/ || exit 1; \
	done

fuzz:
	@$(call fuzz_run,$(FUZZTIME))

fuzz-short:
	@$(call fuzz_run,$(FUZZTIME_SHORT))

# The reliability suite's full form against the real binary: one line of
# figures per case, collected at the end (the short form runs in `make
# unit`). The full log is kept in bin/reliability.log.
reliability:
	@mkdir -p bin
	@{ $(GO) test -count=1 -v -timeout 30m -run '^TestReliability' ./test/ -args -reliability.full; \
	   echo $$? > bin/reliability.rc; } 2>&1 | tee bin/reliability.log; \
	rc=$$(cat bin/reliability.rc); echo; echo "reliability summary:"; \
	grep '^reliability: ' bin/reliability.log; grep -A1 -- '--- SKIP' bin/reliability.log || true; \
	[ "$$rc" = 0 ] && echo "reliability: all cases passed" || echo "reliability: FAILED (exit $$rc; see bin/reliability.log)"; \
	exit $$rc

# prices rewrites server/prices/anthropic.json (the price snapshot) and its
# golden cases from the pinned @pydantic/genai-prices, installed with npm
# into a temporary directory; the version's npm publish time dates the
# snapshot. Only this target needs node; `make test` checks the committed
# files. After a bump, `go test ./server/prices/` says what changed.
PRICES_PKG ?= @pydantic/genai-prices@0.1.8

prices:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm install --no-audit --no-fund $(PRICES_PKG) >/dev/null && \
	 npm view --json $(PRICES_PKG) time > time.json) && \
	node scripts/prices/snapshot.mjs --pkg "$$tmp/node_modules/@pydantic/genai-prices" \
		--npm-time "$$tmp/time.json" --out server/prices

clean:
	rm -rf bin
