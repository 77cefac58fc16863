# The one build description for llmio (STYLE section 12).
#
#   make              library (static + shared), llmio CLI, llmio-mock, tests
#   make test         the whole gate: deps, build, tests (plain, ASan+UBSan,
#                     valgrind), fuzz corpus replay; ends "N passed, N failed"
#   make check        plain build + test run only (the quick loop)
#   make asan         ASan+UBSan build + test run (build/asan/)
#   make valgrind     plain build, every test under valgrind memcheck
#   make fuzz         libFuzzer targets (clang), FUZZ_SECONDS each
#   make bench        benchmarks (bench/README.md)
#   make demo         the main job against an embedded llmio-mock
#   make install      PREFIX=/usr/local, with llmio.pc
#   make format / format-check / lint / deps / clean
#
# Knobs: CC=, OPT=, DEBUG=1, SANITIZE=address,undefined, BUILD=<dir>,
#        CURL_PREFIX=<dir> (a local libcurl, see bench/libcurl8.sh).

VERSION_MAJOR := $(shell sed -n 's/^\#define LLMIO_VERSION_MAJOR \([0-9]*\).*/\1/p' include/llmio.h)
VERSION_MINOR := $(shell sed -n 's/^\#define LLMIO_VERSION_MINOR \([0-9]*\).*/\1/p' include/llmio.h)
VERSION_PATCH := $(shell sed -n 's/^\#define LLMIO_VERSION_PATCH \([0-9]*\).*/\1/p' include/llmio.h)
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

CC ?= cc
BUILD ?= build
PREFIX ?= /usr/local
OPT ?= -O2
SANITIZE ?=
FUZZ_SECONDS ?= 30

ifeq ($(DEBUG),1)
OPT := -O0
endif

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wwrite-strings -Wno-unused-parameter
ifeq ($(CI),true)
WARN += -Werror
endif

# CURL_PREFIX=build/curl8 builds against the libcurl 8.x that bench/libcurl8.sh
# unpacks there (pkg-config from the prefix, rpath to its lib directory);
# docs/PERFORMANCE.md says when that is the better configuration.
ifneq ($(CURL_PREFIX),)
CURL_ROOT := $(abspath $(CURL_PREFIX))/root
CURL_LIBDIR := $(CURL_ROOT)/usr/lib/$(shell $(CC) -print-multiarch)
CURL_PC := PKG_CONFIG_SYSROOT_DIR=$(CURL_ROOT) PKG_CONFIG_LIBDIR=$(CURL_LIBDIR)/pkgconfig pkg-config
CURL_CFLAGS := $(shell $(CURL_PC) --cflags libcurl)
CURL_LIBS := $(shell $(CURL_PC) --libs libcurl) -Wl,-rpath,$(CURL_LIBDIR)
else
CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null)
endif

SAN_FLAGS :=
ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARN) $(SAN_FLAGS) \
               -fPIC -Iinclude -MMD -MP
LIB_CFLAGS := $(BASE_CFLAGS) -fvisibility=hidden -DLLMIO_BUILDING -Isrc $(CURL_CFLAGS)
LDFLAGS_ALL := $(SAN_FLAGS)
SYS_LIBS := $(CURL_LIBS) -lm -lpthread

LIB_SRC := $(wildcard src/*.c src/providers/*.c)
SERVER_SRC := $(filter-out server/main.c,$(wildcard server/*.c))
CLI_SRC := $(wildcard cli/*.c)
TEST_SRC := tests/runner.c $(wildcard tests/support/*.c tests/unit/*.c \
              tests/integration/*.c tests/mock/*.c)
EXAMPLE_SRC := $(wildcard examples/*.c)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
BENCH_SRC := $(wildcard bench/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_OBJ := $(call obj,$(LIB_SRC))
SERVER_OBJ := $(call obj,$(SERVER_SRC))
CLI_OBJ := $(call obj,$(CLI_SRC))
TEST_OBJ := $(call obj,$(TEST_SRC))

STATIC_LIB := $(BUILD)/lib/libllmio.a
SHARED_LIB := $(BUILD)/lib/libllmio.so.$(VERSION)
SONAME := libllmio.so.$(VERSION_MAJOR)
MOCK_LIB := $(BUILD)/lib/libllmiomock.a
MOCK_BIN := $(BUILD)/bin/llmio-mock
CLI_BIN := $(BUILD)/bin/llmio
TEST_BIN := $(BUILD)/bin/llmio-test
EXAMPLE_BINS := $(patsubst examples/%.c,$(BUILD)/bin/examples/%,$(EXAMPLE_SRC))
FUZZ_REPLAY_BINS := $(patsubst fuzz/fuzz_%.c,$(BUILD)/bin/fuzz-%,$(FUZZ_SRC))

# Optional event loops for the adapter tests and examples; absent ones are
# compiled out (the test then reports itself as skipped-by-build).
LOOP_CFLAGS := $(shell pkg-config --cflags libuv libevent 2>/dev/null && echo -DLLMIO_HAVE_LIBUV -DLLMIO_HAVE_LIBEVENT)
LOOP_LIBS := $(shell pkg-config --libs libuv libevent 2>/dev/null)

.PHONY: all lib check test asan valgrind fuzz bench demo install format \
        format-check lint deps clean python

all: lib $(MOCK_BIN) $(if $(CLI_SRC),$(CLI_BIN)) $(TEST_BIN) $(EXAMPLE_BINS) $(FUZZ_REPLAY_BINS)

lib: $(STATIC_LIB) $(SHARED_LIB) $(BUILD)/lib/llmio.pc

$(BUILD)/obj/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -c $< -o $@

$(BUILD)/obj/server/%.o: server/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Iserver -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/%.c $(BUILD)/gen/test-list.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LOOP_CFLAGS) -Itests -Isrc -Iserver -I$(BUILD)/gen \
	    -DLLMIO_SRCDIR='"$(CURDIR)"' -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LOOP_CFLAGS) -Isrc -c $< -o $@

$(STATIC_LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(SHARED_LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,$(SONAME) $(LDFLAGS_ALL) -o $@ $^ $(SYS_LIBS)
	ln -sf $(notdir $@) $(BUILD)/lib/$(SONAME)
	ln -sf $(notdir $@) $(BUILD)/lib/libllmio.so

$(BUILD)/lib/llmio.pc: llmio.pc.in include/llmio.h
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@PRIVATE_LIBS@|$(CURL_LIBS) -lm -lpthread|' $< > $@

$(MOCK_LIB): $(SERVER_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(MOCK_BIN): $(BUILD)/obj/server/main.o $(MOCK_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lm

$(CLI_BIN): $(CLI_OBJ) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SYS_LIBS)

# The test registry is generated from the TEST(name) lines, so adding a test
# file never touches a shared list.
$(BUILD)/gen/test-list.h: $(filter-out tests/runner.c,$(TEST_SRC)) scripts/gen-test-list.sh
	@mkdir -p $(dir $@)
	sh scripts/gen-test-list.sh $(filter-out tests/runner.c,$(TEST_SRC)) > $@.tmp
	mv $@.tmp $@

$(TEST_BIN): $(TEST_OBJ) $(STATIC_LIB) $(MOCK_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $(TEST_OBJ) $(STATIC_LIB) $(MOCK_LIB) $(SYS_LIBS) $(LOOP_LIBS)

$(BUILD)/bin/examples/%: $(BUILD)/obj/examples/%.o $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SYS_LIBS) $(LOOP_LIBS)

# Each fuzz target also links against fuzz/standalone.c, which replays corpus
# files through the same entry point without libFuzzer (STYLE section 13).
$(BUILD)/bin/fuzz-%: $(BUILD)/obj/fuzz/fuzz_%.o $(BUILD)/obj/fuzz/standalone.o $(STATIC_LIB) $(MOCK_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SYS_LIBS)

$(BUILD)/obj/fuzz/%.o: fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Isrc -Iserver -c $< -o $@

check: all
	$(TEST_BIN)

test:
	@sh scripts/deps.sh --quiet
	@sh scripts/test-all.sh

asan:
	$(MAKE) BUILD=build/asan SANITIZE=address,undefined OPT=-O1 check

valgrind: all
	LLMIO_TEST_VALGRIND=1 $(TEST_BIN)

# libFuzzer builds live in build/libfuzzer/ and need clang.
FUZZ_CC ?= clang
FUZZ_DIR := build/libfuzzer
fuzz:
	@mkdir -p $(FUZZ_DIR)
	$(MAKE) BUILD=$(FUZZ_DIR)/lib CC=$(FUZZ_CC) SANITIZE=address,undefined \
	    OPT="-O1 -fsanitize=fuzzer-no-link" $(FUZZ_DIR)/lib/lib/libllmio.a $(FUZZ_DIR)/lib/lib/libllmiomock.a
	@set -e; for f in $(FUZZ_SRC); do \
	    n=$$(basename $$f .c | sed 's/^fuzz_//'); \
	    $(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Isrc -Iserver \
	        -fsanitize=fuzzer,address,undefined $$f \
	        $(FUZZ_DIR)/lib/lib/libllmio.a $(FUZZ_DIR)/lib/lib/libllmiomock.a \
	        $(SYS_LIBS) -o $(FUZZ_DIR)/$$n; \
	    mkdir -p tests/fuzz-corpus/$$n build/fuzz-new/$$n; \
	    echo "fuzz $$n for $(FUZZ_SECONDS)s"; \
	    $(FUZZ_DIR)/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	        build/fuzz-new/$$n tests/fuzz-corpus/$$n > build/fuzz-new/$$n.log 2>&1 \
	        || { tail -40 build/fuzz-new/$$n.log; exit 1; }; \
	    tail -1 build/fuzz-new/$$n.log; \
	done

# Benchmark programs: bench/NAME.c -> build/bin/bench/NAME, linked with the
# static library and the peers' JSON parsers (jansson, cJSON) for comparison.
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bin/bench/%,$(BENCH_SRC))
BENCH_LIBS := $(shell pkg-config --libs jansson libcjson 2>/dev/null)
BENCH_CFLAGS := $(shell pkg-config --cflags jansson libcjson 2>/dev/null)

$(BUILD)/obj/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(BENCH_CFLAGS) $(CURL_CFLAGS) -Isrc -c $< -o $@

$(BUILD)/bin/bench/%: $(BUILD)/obj/bench/%.o $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SYS_LIBS) $(BENCH_LIBS)

bench-build: $(BENCH_BINS)

bench: all bench-build
	sh bench/run.sh

demo:
	@sh scripts/deps.sh --quiet
	@$(MAKE) --no-print-directory all >/dev/null
	@sh scripts/demo.sh

install: lib $(CLI_BIN) $(MOCK_BIN)
	install -d $(DESTDIR)$(PREFIX)/include/llmio/adapters $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/llmio.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 include/llmio/adapters/*.h $(DESTDIR)$(PREFIX)/include/llmio/adapters/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(PREFIX)/lib/
	ln -sf $(notdir $(SHARED_LIB)) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(notdir $(SHARED_LIB)) $(DESTDIR)$(PREFIX)/lib/libllmio.so
	install -m 644 $(BUILD)/lib/llmio.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 755 $(CLI_BIN) $(MOCK_BIN) $(DESTDIR)$(PREFIX)/bin/

FORMAT_FILES = $(wildcard include/*.h include/llmio/adapters/*.h src/*.[ch] src/providers/*.[ch] cli/*.[ch] server/*.[ch] tests/*.[ch] tests/*/*.[ch] fuzz/*.c examples/*.c bench/*.c)
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

lint: lib
	sh scripts/lint.sh $(SHARED_LIB)

deps:
	sh scripts/deps.sh

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
