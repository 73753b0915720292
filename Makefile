# Directus Chat: the two commands are `make run` and `make test`.
SHELL := /bin/bash
export LANG := en_US.UTF-8
DIRECTUS_VERSION ?= 11.17.4
export DIRECTUS_VERSION
# The Go toolchain named in go.mod (go1.26.10: the standard library fixes
# govulncheck asks for), fetched from the Go module proxy when the installed Go
# is older; Debian-style installs default to GOTOOLCHAIN=local.
export GOTOOLCHAIN := auto
# Fyne's animations off: a blinking cursor and a hidden progress bar repaint the
# whole window 60 times a second (5-20 % of a core idle under Mesa); the cursor
# is steady instead. scripts/package.sh and the release workflow pass the same tag.
export GOFLAGS := -tags=no_animations
PORT ?= 8055
# make cluster / make run CLUSTER=1: the balancer in front of the Directus cluster
CLUSTER_PORT ?= 8060
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run test unit lint devserver devserver-stop devserver-reset screenshot build

## run: start (and on first use install and provision) the local Directus, then open the app
## (CLUSTER=1: the Directus cluster of make cluster, through its balancer)
run: $(if $(CLUSTER),cluster,devserver)
	go run . -server http://127.0.0.1:$(if $(CLUSTER),$(CLUSTER_PORT),$(PORT))

## devserver: install, start and provision the pinned Directus on 127.0.0.1:$(PORT)
devserver:
	go run ./cmd/devserver up -port $(PORT)

devserver-stop:
	go run ./cmd/devserver stop -port $(PORT)

devserver-reset:
	go run ./cmd/devserver reset -port $(PORT)

## test: lint, then every test (unit and integration, real Directus, -race)
## under a virtual X server and a private D-Bus session with an unlocked keyring
## then the Directus client and setup again against the pinned Directus 12
test: lint
	go run ./cmd/devserver install
	DIRECTUS_VERSION=12.4.0 go run ./cmd/devserver install
	xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash scripts/with-keyring.sh \
		env CHAT_SOAK=3m go test -race -count=1 -timeout 30m ./...
	DIRECTUS_VERSION=12.4.0 go test -race -count=1 -timeout 30m ./realtime/ ./provision/

## unit: every test that needs no Directus, display or D-Bus (those skip under -short)
unit:
	go test -race -short -count=1 ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...
	go run $(STATICCHECK) ./...
	bash scripts/govulncheck.sh

build:
	go build -o bin/directus-chat .

## screenshot: a real window under Xvfb, signed in, with a few messages -> docs/screenshot.png
screenshot:
	go run ./cmd/devserver install
	xvfb-run -a -s "-screen 0 1280x800x24" bash scripts/screenshot.sh docs/screenshot.png

.PHONY: package check-packages

## package: the release packages in dist/ (Linux tar.xz, Windows .exe, SHA256SUMS),
## version from FyneApp.toml; macOS: see docs/packaging.md
package:
	bash scripts/package.sh

## check-packages: check dist/ (contents, PE32+ GUI exe), install the Linux package
## into a temporary prefix and launch it under Xvfb -> docs/package-login.png
check-packages:
	bash scripts/check-packages.sh docs/package-login.png

.PHONY: bench

## bench: measure against the pinned Directus (latency, burst, 100,000-message history, the real
## app under Xvfb) and write docs/benchmarks.md and its raw results, docs/benchmarks/results.json;
## the first run also fills the history (~5 min)
bench:
	go run ./cmd/devserver install
	xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash scripts/with-keyring.sh \
		go run ./cmd/bench $(BENCHFLAGS)

.PHONY: cluster cluster-stop cluster-test

## cluster: install (the pinned Directus; as root, Debian's postgresql redis-server haproxy), start
## and provision 2 Directus instances on one PostgreSQL and Redis behind HAProxy on
## 127.0.0.1:$(CLUSTER_PORT), all as plain processes with data under .devserver/cluster/
cluster:
	go run ./cmd/devserver cluster-up -port $(CLUSTER_PORT)

## cluster-stop: stop all of it (nothing is left running)
cluster-stop:
	go run ./cmd/devserver cluster-down -port $(CLUSTER_PORT)

## cluster-test: the tests that need a cluster (build tag `cluster`: never built by make test),
## each on a private cluster on free ports
cluster-test:
	go run ./cmd/devserver cluster-install
	go test -tags=no_animations,cluster -race -count=1 -timeout 40m -run '^TestCluster' ./devserver/cluster/ ./realtime/
