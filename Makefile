# mflowlab — build, run and test. `make run` and `make test` install what they need
# (Debian packages via scripts/deps.sh) before doing their job.
#
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE come from the machine's environment and are
# passed through untouched.

export PATH := /usr/local/go/bin:$(PATH)

GO  ?= go
BIN := mflowlab
DEPS := bash scripts/deps.sh

.PHONY: run build test test-short bench screenshot clean

## run: install build+run packages, build the binary and start the lab.
run:
	$(DEPS) build run
	$(GO) build -o $(BIN) .
	./$(BIN)

## build: build the binary (./mflowlab).
build:
	$(DEPS) build
	$(GO) build -o $(BIN) .

## test: everything CI checks — vet (cgo and pure-Go builds) and the race-enabled suite.
test:
	$(DEPS) build run test
	$(GO) vet ./...
	$(GO) vet -tags purego ./flow/...
	$(GO) test -race -timeout 30m ./...

## test-short: the quick suite (skips the long tests).
test-short:
	$(DEPS) build run
	$(GO) test -short ./...

## bench: the end-to-end benchmarks, on the original configuration and a small one.
bench: build
	./$(BIN) bench --config original
	./$(BIN) bench --config small

## screenshot: render the README picture to docs/screenshot.png.
screenshot: build
	mkdir -p docs
	./$(BIN) screenshot --out docs/screenshot.png

## clean: remove build and profiling outputs.
clean:
	rm -f $(BIN) *.test *.prof *.pprof cpu.out mem.out
	rm -rf out/
