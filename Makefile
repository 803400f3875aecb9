# Siyu developer commands. `make help` lists them.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# Every Go module of the workspace, in go.work order.
MODULES := cmd/siyu deploy gateway pkg proto services/analytics services/marketing services/member services/messaging services/order services/product
# Package patterns spanning all modules: in workspace mode one `go test`
# schedules packages of every module together, which keeps both cores busy.
PACKAGES := $(addsuffix /...,$(addprefix ./,$(MODULES)))

# Code generators, pinned: generation needs no network and no schema registry.
BIN := $(CURDIR)/bin
BUF_VERSION := v1.57.0
PROTOC_GEN_GO_VERSION := v1.36.10
PROTOC_GEN_GO_GRPC_VERSION := v1.5.1
GRPC_GATEWAY_VERSION := v2.27.3
TOOLS_STAMP := $(BIN)/.tools-$(BUF_VERSION)-$(PROTOC_GEN_GO_VERSION)-$(PROTOC_GEN_GO_GRPC_VERSION)-$(GRPC_GATEWAY_VERSION)
export PATH := $(BIN):$(PATH)

# The race detector multiplies the cost of the embedded store's pure-Go SQLite:
# packages run two at a time (one per core) and each gets a generous timeout.
TEST_FLAGS ?= -race -count=1 -timeout 20m

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The H5 storefront: a Vue app in web/h5, built into web/h5/dist, which the
# gateway serves at /. Rebuilt when any of its sources or the API document
# it is typed from changes; `npm ci` runs first when node_modules is stale.
WEB := web/h5
WEB_DIST := $(WEB)/dist/index.html
WEB_SRC := $(shell find $(WEB)/src $(WEB)/scripts $(WEB)/index.html $(WEB)/package.json $(WEB)/package-lock.json \
	$(WEB)/vite.config.ts $(WEB)/tsconfig.json -type f ! -name '*.gen.ts' ! -name '*.test.ts' 2>/dev/null) \
	gateway/internal/apidocs/siyu.swagger.json

$(WEB_DIST): $(WEB_SRC)
	bash $(WEB)/scripts/ensure-deps.sh node
	cd $(WEB) && npm run build
	touch $@

.PHONY: web
web: $(WEB_DIST) ## build the H5 storefront into web/h5/dist (npm ci first when needed)

# Without Node.js `make run` still starts the shop; the gateway then shows
# its landing page instead of the storefront.
HAVE_NPM := $(shell command -v npm 2>/dev/null)

.PHONY: run
run: $(if $(HAVE_NPM),web) ## start the whole shop with demo data on http://localhost:8080 (SIYU_DEV_SMS_ECHO=1)
	$(if $(HAVE_NPM),,@echo "npm not found: install Node.js 20.19+ for the storefront; serving the landing page")
	SIYU_WEB_DIR=$${SIYU_WEB_DIR:-$$(test -f $(WEB_DIST) && echo $(CURDIR)/$(WEB)/dist)} \
	SIYU_DEV_SMS_ECHO=$${SIYU_DEV_SMS_ECHO:-1} go run ./cmd/siyu dev $(ARGS)

.PHONY: test
test: web ## run every module's tests with -race, end-to-end and browser tests included
	bash $(WEB)/scripts/ensure-deps.sh node chromium
	cd $(WEB) && npm test
	go test $(TEST_FLAGS) $(PACKAGES)

.PHONY: bench
bench: web ## print gRPC vs gateway throughput, latency, CPU per request, startup time, memory and the storefront's JS size and LCP
	go build -o $(BIN)/siyu ./cmd/siyu
	$(BIN)/siyu bench
	go test -run '^$$' -bench . -benchtime 2000x ./services/product/... ./gateway/...
	# Lookups by _id on the embedded store at 20,000 documents, with and without the _id accelerator.
	go test -run '^$$' -bench IDLookup -benchtime 2000x ./pkg/embedstore/
	# Logins write to the embedded store (code, member, session): fewer rounds.
	go test -run '^$$' -bench 'SmsLogin|TokenVerification' -benchtime 300x ./services/member/internal/grpcapi/
	# The shop-scale table: login, GET /me and sign-in with 200 and with 10,000 members (about a minute).
	go test -run '^$$' -bench ShopScale -benchtime 1x -timeout 20m ./services/member/internal/grpcapi/
	# Checkout through the gateway with 32 shoppers, at 100 and 10,000 stored orders.
	SIYU_BENCH_CHECKOUT=1 go test -count=1 -run '^TestCheckoutBench$$' -v -timeout 20m ./cmd/siyu/
	# Flash-sale reservations: attempts/s through REST and gRPC with 64 callers, stock, accepted and oversell.
	SIYU_BENCH_FLASH=1 go test -count=1 -run '^TestFlashSaleBench$$' -v -timeout 5m ./cmd/siyu/
	# The storefront: initial JS gzipped (goal 150 KB) and the home page's LCP in headless Chromium on the demo shop (goal 1.0 s).
	bash $(WEB)/scripts/ensure-deps.sh node chromium
	SIYU_BENCH_H5=1 go test -count=1 -run '^TestStorefrontBench$$' -v -timeout 5m ./cmd/siyu/
	# order.paid → in-app message: p50, p99 and events/s over a burst of 1,000 events on the embedded store.
	go test -run '^$$' -bench PaidEventToInbox -benchtime 1000x -timeout 20m ./services/messaging/

$(TOOLS_STAMP):
	mkdir -p $(BIN)
	GOBIN=$(BIN) go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	GOBIN=$(BIN) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(BIN) go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	GOBIN=$(BIN) go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway@$(GRPC_GATEWAY_VERSION)
	GOBIN=$(BIN) go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@$(GRPC_GATEWAY_VERSION)
	touch $@

.PHONY: tools
tools: $(TOOLS_STAMP) ## install the pinned code generators into ./bin

.PHONY: generate
generate: $(TOOLS_STAMP) ## regenerate Go, gRPC, gateway and OpenAPI code from proto/
	buf generate

# What `make generate` writes; lint fails when regenerating changes it.
GENERATED := 'proto/*.pb.go' 'proto/*.pb.gw.go' gateway/internal/apidocs/siyu.swagger.json

.PHONY: lint
lint: $(TOOLS_STAMP) ## buf lint, generated code up to date, gofmt, go vet, go.mod tidiness
	buf lint
	buf generate
	git diff --exit-code -- $(GENERATED) || { echo "generated code is stale: run make generate and commit"; exit 1; }
	test -z "$$(git status --porcelain -- $(GENERATED))" || { echo "make generate created files that are not committed"; git status --porcelain -- $(GENERATED); exit 1; }
	test -z "$$(gofmt -l $(MODULES))" || { echo "gofmt needed:"; gofmt -l $(MODULES); exit 1; }
	go vet $(PACKAGES)
	for m in $(MODULES); do (cd $$m && GOWORK=off go mod tidy -diff) || { echo "go.mod of $$m is not tidy: run make tidy"; exit 1; }; done

.PHONY: tidy
tidy: ## go mod tidy in every module and sync the workspace
	for m in $(MODULES); do (cd $$m && GOWORK=off go mod tidy); done
	go work sync
