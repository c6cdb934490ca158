# brightkitchen — plain make, pkg-config, C11.
#
#   make deps    install the Debian packages we need (no-op when present)
#   make         build everything into build/
#   make test    deps + build + every test; ends with "N passed, N failed"
#   make demo    deps + build + the whole system on this machine
#   make asan    the same tests on an AddressSanitizer + UBSan build
#   make fuzz    the libFuzzer targets (tests/fuzz/), FUZZ_SECONDS (300) each
#   make bench   deps + build + delivery benchmarks (tests/bench/), a table
#   make format  clang-format every C file

BUILD   ?= build
CC      ?= gcc
# cairo + pangocairo: printed documents (common/documents.c, the only user)
PKGS    := glib-2.0 gstreamer-1.0 libcjson sqlite3 libpq libmodbus libcrypto libmicrohttpd gnutls \
           cairo pangocairo
SAN     ?=
# OPT is the knob (make asan sets it); CFLAGS given on the command line would
# replace the whole line below, warnings and sanitizers included.
OPT     ?= -O2 -g
override CFLAGS += $(OPT) -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP $(SAN)
CPPFLAGS := -Icommon -Iedge -Icloud -Icloud/collector -Icloud/bkctl -Ihandheld
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
LDLIBS   = $(PKG_LIBS) -lpaho-mqtt3as -lm
LDFLAGS  += $(SAN)

COMMON_SRC    := $(wildcard common/*.c)
EDGE_SRC      := $(filter-out edge/main.c,$(wildcard edge/*.c))
CLOUD_SRC     := $(wildcard cloud/*.c) $(filter-out cloud/collector/main.c,$(wildcard cloud/collector/*.c)) \
                 $(filter-out cloud/bkctl/main.c,$(wildcard cloud/bkctl/*.c))
HANDHELD_SRC  := $(filter-out handheld/main.c,$(wildcard handheld/*.c))
UNIT_SRC      := $(wildcard tests/unit/test_*.c)
WEB_SRC       := $(sort $(wildcard cloud/web/*))
WEB_GEN       := $(BUILD)/gen/web_assets.c

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
COMMON_LIB := $(BUILD)/lib/libbkcommon.a
EDGE_LIB   := $(BUILD)/lib/libbkedge.a
CLOUD_LIB  := $(BUILD)/lib/libbkcloud.a
HANDHELD_LIB := $(BUILD)/lib/libbkhandheld.a
BINS  := $(BUILD)/bin/bk-edge $(BUILD)/bin/bk-collector $(BUILD)/bin/bkctl $(BUILD)/bin/bk-handheld
UNITS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOLS := $(BUILD)/tests/tools/fake-modbus $(BUILD)/tests/tools/fake-camera

.PHONY: all deps test demo asan format clean
all: $(BINS) $(UNITS) $(TOOLS)

deps:
	@tools/install-deps

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(COMMON_LIB): $(call obj,$(COMMON_SRC))
$(EDGE_LIB): $(call obj,$(EDGE_SRC))
$(CLOUD_LIB): $(call obj,$(CLOUD_SRC) $(WEB_GEN))
$(HANDHELD_LIB): $(call obj,$(HANDHELD_SRC))

# The regulators' page (cloud/web/*) is compiled into bk-collector: one C
# array per file (tools/web-embed, with xxd), served by http_api.c.
$(WEB_GEN): $(WEB_SRC) tools/web-embed
	@mkdir -p $(@D)
	tools/web-embed $@ $(WEB_SRC)

$(BUILD)/lib/%.a:
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/bk-edge: $(call obj,edge/main.c) $(EDGE_LIB) $(COMMON_LIB)
$(BUILD)/bin/bk-collector: $(call obj,cloud/collector/main.c) $(CLOUD_LIB) $(COMMON_LIB)
$(BUILD)/bin/bkctl: $(call obj,cloud/bkctl/main.c) $(CLOUD_LIB) $(COMMON_LIB)
$(BUILD)/bin/bk-handheld: $(call obj,handheld/main.c) $(HANDHELD_LIB) $(COMMON_LIB)
$(BINS):
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests link the libraries; the linker takes only the modules a test needs.
$(BUILD)/tests/%: $(call obj,tests/unit/%.c) $(EDGE_LIB) $(CLOUD_LIB) $(HANDHELD_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# Test tools (fake devices) stand alone: their own .c and the libraries.
$(TOOLS): $(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Only the fake camera serves RTSP: gst-rtsp-server stays out of the daemons.
RTSP_PKG := gstreamer-rtsp-server-1.0
$(BUILD)/obj/tests/tools/fake-camera.o: PKG_CFLAGS += $(shell pkg-config --cflags $(RTSP_PKG))
$(BUILD)/tests/tools/fake-camera: LDLIBS += $(shell pkg-config --libs $(RTSP_PKG))

test: deps
	@$(MAKE) --no-print-directory all
	@BK_BUILD=$(BUILD) tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan CC=gcc \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		OPT="-O1 -g" all
	@BK_BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp tests/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan $(FUZZ_BUILD)

# --- benchmarks: make bench (tests/bench/run.sh), never part of make test ---
# Measures delivery on this machine, prints one table and writes it to
# tests/bench/results/DATE-COMMIT.md. Bench programs link the libraries like
# the unit tests do.
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCHES   := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

LOADGEN   := $(BUILD)/bin/bk-loadgen

.PHONY: bench
bench: deps
	@$(MAKE) --no-print-directory all $(BENCHES) $(LOADGEN)
	@BK_BUILD=$(BUILD) tests/bench/run.sh

# bk-loadgen: simulated boxes (tools/bk-loadgen.c), for the benchmarks only.
$(LOADGEN): $(call obj,tools/bk-loadgen.c) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BENCHES): $(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(EDGE_LIB) $(CLOUD_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# --- fuzzing: libFuzzer targets (tests/fuzz/fuzz_*.c), clang only ---------
#   make fuzzers   build them into build-fuzz/bin/
#   make fuzz      run each for FUZZ_SECONDS; corpus grows in build-fuzz/corpus/
# The project's code is compiled again with clang, coverage and sanitizers
# into build-fuzz/obj/ (never mixed with gcc objects); the daemons' main.c
# are left out. No -Werror: clang warns differently from gcc, the gcc build
# is the one that holds the warning line.
FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_CFLAGS  := -O1 -g -std=c11 -Wall -Wextra -D_GNU_SOURCE -MMD -MP -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS      := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/bin/%,$(FUZZ_SRC))
fuzz_obj = $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(1))
FUZZ_LIB     := $(FUZZ_BUILD)/lib/libbkfuzz.a

.PHONY: fuzz fuzzers
.SECONDARY: $(call fuzz_obj,$(FUZZ_SRC))
fuzzers: $(FUZZERS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzzers
	@FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run-long.sh $(FUZZ_SECONDS)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIB): $(call fuzz_obj,$(COMMON_SRC) $(EDGE_SRC) $(CLOUD_SRC) $(HANDHELD_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/bin/%: $(call fuzz_obj,tests/fuzz/%.c) $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
