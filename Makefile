# dsc: the two commands a learner needs are
#
#   make run    install what is missing, build, start the lab (Ctrl-C stops it)
#   make test   install what is missing, then every check CI runs (scripts/test.sh)
#
# Helpers: deps, build, bench, format, format-check, tidy, clean.
# Build directories: build/ (run, bench, tidy and the first test stage),
# build-asan/ and build-fuzz/ (the other test stages).

SHELL := /bin/bash
BUILD_DIR := build
DSC := $(BUILD_DIR)/nodes/dsc/dsc
# Our C++ sources, for format and tidy (git's view: no build dirs).
SOURCES = $(shell git ls-files --cached --others --exclude-standard -- '*.cc' '*.h' 2>/dev/null)
BENCH_ARGS ?=
QUEUE_BENCH_ARGS ?=
RAFT_BENCH_ARGS ?=
TIDY_FILES ?= $(filter %.cc,$(SOURCES))

.PHONY: run test deps configure build bench format format-check tidy clean

# Builds the book (installing the pinned mdBook tools once), then starts
# the lab and serves the book beside it; dsc lab run prints every URL.
run: build
	@scripts/install-book-deps.sh --mdbook
	PATH="$$HOME/.cargo/bin:$$PATH" mdbook build book
	$(DSC) lab run --book book/build/html

test: deps
	scripts/test.sh

deps:
	@scripts/install-deps.sh
	@clients/setup.sh

# Configures build/ once; later runs keep its cache (make test turns
# DSC_WERROR on there, and run/bench then keep it).
configure: deps
	@[[ -f $(BUILD_DIR)/build.ninja ]] || \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: configure
	cmake --build $(BUILD_DIR)

# make bench BENCH_ARGS="--seconds 1 --threads 1,16" QUEUE_BENCH_ARGS="--seconds 2" RAFT_BENCH_ARGS="--runs 1"
bench: configure
	cmake --build $(BUILD_DIR) --target wal_bench queue_bench raft_bench dsc
	$(BUILD_DIR)/bench/wal_bench $(BENCH_ARGS)
	$(BUILD_DIR)/bench/queue_bench $(QUEUE_BENCH_ARGS)
	$(BUILD_DIR)/bench/raft/raft_bench $(RAFT_BENCH_ARGS)

format: deps
	@scripts/install-deps.sh clang-format-14
	clang-format-14 -i $(SOURCES)

format-check: deps
	@scripts/install-deps.sh clang-format-14
	clang-format-14 --dry-run --Werror $(SOURCES)

# Uses build/compile_commands.json. The whole tree takes several minutes;
# narrow it with TIDY_FILES="nodes/dsc/main.cc nodes/dsc/lab_commands.cc".
tidy: build
	@scripts/install-deps.sh clang-tidy-14
	run-clang-tidy-14 -quiet -p $(BUILD_DIR) $(TIDY_FILES)

clean:
	rm -rf build build-asan build-fuzz
