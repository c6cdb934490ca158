# brightkitchen — plain make, pkg-config, C11.
#
#   make deps    install the Debian packages we need (no-op when present)
#   make         build everything into build/
#   make test    deps + build + every test; ends with "N passed, N failed"
#   make demo    deps + build + the whole system on this machine
#   make asan    the same tests on an AddressSanitizer + UBSan build
#   make format  clang-format every C file

BUILD   ?= build
CC      ?= gcc
PKGS    := glib-2.0 libcjson sqlite3
SAN     ?=
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP $(SAN)
CPPFLAGS := -Icommon -Iedge -Icloud -Icloud/collector -Icloud/bkctl
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
LDLIBS   = $(PKG_LIBS) -lpaho-mqtt3as -lm
LDFLAGS  += $(SAN)

COMMON_SRC    := $(wildcard common/*.c)
EDGE_SRC      := $(filter-out edge/main.c,$(wildcard edge/*.c))
CLOUD_SRC     := cloud/archive.c $(filter-out cloud/collector/main.c,$(wildcard cloud/collector/*.c)) \
                 $(filter-out cloud/bkctl/main.c,$(wildcard cloud/bkctl/*.c))
UNIT_SRC      := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
COMMON_LIB := $(BUILD)/lib/libbkcommon.a
EDGE_LIB   := $(BUILD)/lib/libbkedge.a
CLOUD_LIB  := $(BUILD)/lib/libbkcloud.a
BINS  := $(BUILD)/bin/bk-edge $(BUILD)/bin/bk-collector $(BUILD)/bin/bkctl
UNITS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all deps test demo asan format clean
all: $(BINS) $(UNITS)

deps:
	@tools/install-deps

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(COMMON_LIB): $(call obj,$(COMMON_SRC))
$(EDGE_LIB): $(call obj,$(EDGE_SRC))
$(CLOUD_LIB): $(call obj,$(CLOUD_SRC))
$(BUILD)/lib/%.a:
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/bk-edge: $(call obj,edge/main.c) $(EDGE_LIB) $(COMMON_LIB)
$(BUILD)/bin/bk-collector: $(call obj,cloud/collector/main.c) $(CLOUD_LIB) $(COMMON_LIB)
$(BUILD)/bin/bkctl: $(call obj,cloud/bkctl/main.c) $(CLOUD_LIB) $(COMMON_LIB)
$(BINS):
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests link the libraries; the linker takes only the modules a test needs.
$(BUILD)/tests/%: $(call obj,tests/unit/%.c) $(EDGE_LIB) $(CLOUD_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

test: deps
	@$(MAKE) --no-print-directory all
	@BK_BUILD=$(BUILD) tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan CC=gcc \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		CFLAGS="-O1 -g" all
	@BK_BUILD=build-asan ASAN_OPTIONS=detect_leaks=1 tests/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
