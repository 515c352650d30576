# opa-cosign: OPA with native cosign verification. `make help` lists the targets.
SHELL        := /usr/bin/env bash
.SHELLFLAGS  := -eu -o pipefail -c
OPA_VERSION  := 1.22.4
COSIGN_N     := 1
VERSION      := $(OPA_VERSION)-cosign.$(COSIGN_N)
BIN          := build/opa-cosign
TOOLS        := build/tools/bin
GO_LDFLAGS   := -s -w -X github.com/open-policy-agent/opa/v1/version.Version=$(VERSION)
ADDR         ?= 127.0.0.1:8181

.DEFAULT_GOAL := help

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z0-9-]+:.*## /{printf "  %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build the static opa-cosign binary into build/
	CGO_ENABLED=0 go build -trimpath -ldflags '$(GO_LDFLAGS)' -o $(BIN) ./cmd/opa-cosign

run: build bundles ## start the server with the shipped standalone policy on 127.0.0.1:8181 (ADDR=host:port to change)
	$(BIN) run --server --addr $(ADDR) --authentication=token --authorization=basic \
		--config-file bundles/standalone/config.yaml --bundle build/bundles/standalone.tar.gz

tools: ## install the pinned e2e tools (registry, cosign v2 and v3, crane, grpcurl) into build/tools/bin
	scripts/tools.sh registry cosign-v2 cosign-v3 crane grpcurl

kube-tools: ## build the pinned kube-apiserver and kubectl into build/tools/bin (6-9 min the first time)
	scripts/kube-tools.sh

gatekeeper-tools: ## build the pinned Gatekeeper into build/tools/bin, its manifests into build/tools/gatekeeper (about 6 min the first time)
	scripts/gatekeeper-tools.sh

test: lint unit fuzz-short rego-test check-generate e2e e2e-kubernetes e2e-gatekeeper ## run every test: lint, unit, a short fuzz pass, Rego, generated-file drift, end to end
	@echo "all tests passed"

unit: ## Go unit tests under the race detector (in-process registry, keys generated at test time; needs a C compiler)
	CGO_ENABLED=1 go test -race -count=1 ./...

lint: ## golangci-lint (pinned, .golangci.yml), installed into build/tools/bin
	scripts/tools.sh golangci-lint
	$(TOOLS)/golangci-lint run ./...

# Fuzz targets as package:Target; their seed corpora (f.Add and testdata/fuzz)
# also run as plain tests in `make unit`.
FUZZ_TARGETS := ./internal/reference:FuzzParse ./internal/verify:FuzzParseOptions ./internal/verify:FuzzBundle \
	./internal/verify:FuzzRegistryManifests ./plugins:FuzzParseConfig
FUZZTIME     ?= 30s

fuzz: ## fuzz each target for FUZZTIME (default 30s); a failure leaves its input in the package's testdata/fuzz
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz: $${t#*:} ($${t%%:*}, $(FUZZTIME))"; \
	  go test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s "$${t%%:*}" || exit 1; \
	done

fuzz-short: ## the short fuzz pass of `make test`: each target for 5s
	$(MAKE) fuzz FUZZTIME=5s

rego-test: build ## Rego library: fmt, strict check with our capabilities, opa test
	scripts/rego-check.sh

e2e: build tools bundles ## end-to-end: real Distribution registry, real cosign v2/v3, opa-cosign eval and server
	go test -count=1 -tags e2e -timeout 30m ./test/e2e/...

e2e-kubernetes: build tools kube-tools ## admission end to end: real etcd + kube-apiserver + kubectl, deploy/ manifests (needs Debian's etcd-server)
	scripts/e2e-kubernetes.sh

# Its files carry the build tag gatekeeper as well, so that they stay out of the
# e2e k8s suite that scripts/e2e-kubernetes.sh runs; the grep fails the target
# when the test did not run and pass (go test exits 0 on "no tests to run").
e2e-gatekeeper: build tools kube-tools gatekeeper-tools ## Gatekeeper end to end: the pinned Gatekeeper out of cluster, opa-cosign as its provider, deploy/gatekeeper/
	go test -count=1 -tags 'e2e k8s gatekeeper' -run '^TestGatekeeperAdmission$$' -timeout 20m -v ./test/e2e/ 2>&1 | tee build/e2e-gatekeeper.log
	grep -q '^--- PASS: TestGatekeeperAdmission ' build/e2e-gatekeeper.log

generate: build ## regenerate build/capabilities.json, docs/builtins.md, deploy/kubernetes/policy.yaml and the embedded trusted root
	scripts/gen-trusted-root.sh
	scripts/gen-deploy.sh
	$(BIN) capabilities --current > build/capabilities.json
	go run ./internal/cmd/gendocs > docs/builtins.md

check-generate: generate ## fail when generated files differ from what is committed
	git diff --exit-code -- build/capabilities.json docs/builtins.md deploy/kubernetes/policy.yaml internal/trust/public-good/trusted_root.json

bundles: build ## build the policy bundles into build/bundles/
	scripts/bundles.sh

bench: build tools ## benchmarks side by side with their peers (see BENCHMARKS.md)
	scripts/bench.sh

load: build ## bounded load and soak test of the server beside a hostile registry; figures to test/bench/load.md (BENCHMARKS.md)
	scripts/load.sh

docker: ## build the container image (needs a Docker engine)
	docker build -t opa-cosign:$(VERSION) .

clean: ## remove build output (keeps build/capabilities.json)
	find build -mindepth 1 -maxdepth 1 ! -name capabilities.json -exec rm -rf {} +

.PHONY: help build run tools kube-tools gatekeeper-tools test lint fuzz fuzz-short unit rego-test e2e e2e-kubernetes e2e-gatekeeper generate check-generate bundles bench load docker clean
