# The two commands a new user needs: `make run` and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
LISTEN ?= 127.0.0.1:5000
DATA ?= ./data

.PHONY: deps configure web build run test unit e2e ui bench clean

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

# The web UI (web/ → web/dist), served by berth serve at /.
web: deps
	@scripts/build-web

build: configure web
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/berth serve --listen $(LISTEN) --data $(DATA)

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

e2e: build
	BERTH_BIN=$(CURDIR)/$(BUILD_DIR)/berth tests/e2e/run.sh -q

# Browser tests: Chromium driven by Playwright against a real berth and docker-registry.
ui: build
	BERTH_BIN=$(CURDIR)/$(BUILD_DIR)/berth tests/ui/run.sh

test: unit e2e ui

bench: build
	/usr/bin/python3 bench/run.py
	/usr/bin/python3 bench/replication.py
	/usr/bin/python3 bench/proxy_cache.py --berth $(BUILD_DIR)/berth

clean:
	rm -rf $(BUILD_DIR) web/dist
