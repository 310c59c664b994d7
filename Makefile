# Makefile: the one entry point for building and testing Hindsight.
#
# Owns: the build rules (js/hindsight.wasm with Emscripten; dist/, the npm package's files, with
# esbuild; ASan/UBSan native test programs in build/tests/; libFuzzer targets in build/fuzz/; a
# sanitizer-free build for valgrind in build/valgrind/), and the targets setup, build, dist, test,
# test-c, test-js, test-browsers, test-runtimes, test-package, fuzz, valgrind, soak, bench, demo,
# clean, distclean.
#
# Must stay true:
#   - `make test` on a fresh Debian 12 clone needs nothing but Node 20, gcc and make:
#     scripts/setup.sh installs the rest and is cheap when everything is present;
#   - c/wasm.c is the only Emscripten-specific source; every other c/*.c also builds natively;
#   - any change to c/*.c or c/*.h rebuilds the wasm and the native tests;
#   - cJSON comes from build/cjson (fetched and checksummed by scripts/fetch-cjson.sh);
#   - the wasm build links malloc/calloc/realloc/free through c/memory.c's wrappers (--wrap),
#     which count each database's bytes against its budget.

SHELL := /bin/bash
.DEFAULT_GOAL := test
.DELETE_ON_ERROR:

NODE ?= node
CC_NATIVE ?= gcc
PORT ?= 8080

# Browsers come from Debian; npm packages must never fetch their own.
export PUPPETEER_SKIP_DOWNLOAD := 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

C_HEADERS    := $(wildcard c/*.h)
WASM_SOURCES := $(wildcard c/*.c)
ENGINE_SOURCES := $(filter-out c/wasm.c,$(WASM_SOURCES))
CJSON_STAMP  := build/cjson/.verified-sha256
WASM         := js/hindsight.wasm

ENGINE_OBJECTS := $(patsubst c/%.c,build/native/%.o,$(ENGINE_SOURCES)) build/native/cJSON.o
ENGINE_LIB     := build/native/libhindsight-test.a
C_TEST_SOURCES := $(wildcard tests/c/test_*.c)
C_TEST_BINS    := $(patsubst tests/c/%.c,build/tests/%,$(C_TEST_SOURCES))
CONFORMANCE_JSONL := build/conformance.jsonl

NATIVE_CFLAGS := -std=c11 -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
                 -Wall -Wextra -Ic -Ibuild/cjson
# -Oz (all but WASM_HOT_FILES below), not -O3: 15% less wasm gzipped (62.5 -> 53.4 kB), at no cost
# wall time could show then; instruction counts later did, on the per-commit path (see
# WASM_HOT_FILES). tests/package's size budget counts what a browser app loads. emmalloc, not dlmalloc:
# 2.3 kB less gzipped; bench/speed.mjs-style steps (100k docs) timed the same within noise,
# heap use +4% after 100k adds; measured again on open's replay of 100k commits: dlmalloc no
# faster, while a cache of freed small blocks in c/memory.c's wrappers cut its CPU time by a
# quarter (node bench/wasm-ab.mjs OLD.wasm NEW.wasm). -mnontrapping-fptoint: float-to-int casts as one saturating
# instruction instead of a range-check sequence: 73.9 -> 73.8 kB gzipped (every browser since 2021).
# Tried and not kept (gzipped wasm, this build): -flto -0.01 kB, wasm-opt --converge or a second
# -Oz 0, --low-memory-unused -0.01, -fno-unroll-loops 0, -msimd128 -0.03 (needs SIMD),
# --merge-similar-functions +0.07, -fno-jump-tables +0.21, -Os +1.0 kB.
EMCC_COMPILE_FLAGS := -std=c11 -Ic -Ibuild/cjson -DNDEBUG -mbulk-memory -mnontrapping-fptoint -DHS_WRAP_MALLOC
EMCC_LINK_FLAGS := -Oz --no-entry -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=16MB -sTOTAL_STACK=1MB \
                   -sMALLOC=emmalloc -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free
# The files every query and every replayed commit runs through are compiled with -O2, the rest
# with -Oz: -Oz keeps even one-line helpers (a 4-byte store, a value's size) as calls, which were
# a fifth of a replayed commit. Measured as x86 instructions per replayed commit under callgrind
# (node --no-liftoff, open with 20,000 records minus open without them; repeatable to ~1%, unlike
# wall time here): all -Oz 37,400; these nine at -O2 31,800 (-15%) for +4.2 kB gzipped; adding
# commits, history, coll, index and node 30,300 (-19%, +8.1 kB); everything -O2 29,300 (-22%,
# +17.6 kB); -O1 or -Os on the hot files, or binaryen's inlining limits raised, gained less per kB.
WASM_HOT_FILES := json_scan query buf memory jarena value db exec plan
# A second binaryen pass over emcc's output (binaryen comes with Debian's emscripten): 0.3 kB less
# gzipped. The features are exactly the ones emcc was given, so it cannot introduce others.
WASM_OPT_FLAGS := -Oz --enable-bulk-memory --enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int
# libc functions the engine has small replacements for (c/fmt.c, c/strtod.c): a call by the libc
# name brings the large version back, so the wasm rule warns about one.
LIBC_HEAVY := (snprintf|vsnprintf|sprintf|printf|fprintf|strtod|strtoll|strtol|strtoul|atoi|atof|sscanf)

.PHONY: FORCE setup build wasm dist native-tests fuzz-targets fuzz valgrind-tests valgrind soak test test-c test-js test-browsers test-runtimes test-package bench demo clean distclean

setup:
	@bash scripts/setup.sh

# The stamp is written by setup (via fetch-cjson.sh); this rule only orders it after setup.
$(CJSON_STAMP): | setup
	@test -f $@ || { echo "cJSON is missing: scripts/fetch-cjson.sh did not produce $@" >&2; exit 1; }

# {==== WebAssembly build
wasm: $(WASM)

# Debian's emcc finds its acorn only through NODE_PATH.
# The flags are a prerequisite too: the stamp changes only when the flags or the hot files do.
EMCC_FLAGS_STAMP := build/emcc-flags.txt
$(EMCC_FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(EMCC_COMPILE_FLAGS) hot=$(WASM_HOT_FILES) $(EMCC_LINK_FLAGS) $(WASM_OPT_FLAGS)' | cmp -s - $@ \
	  || echo '$(EMCC_COMPILE_FLAGS) hot=$(WASM_HOT_FILES) $(EMCC_LINK_FLAGS) $(WASM_OPT_FLAGS)' > $@
FORCE:

# One object per source, so a change recompiles one file; -O2 for WASM_HOT_FILES, -Oz otherwise.
WASM_OBJECTS := $(patsubst c/%.c,build/wasm/%.o,$(WASM_SOURCES)) build/wasm/cJSON.o
wasm_opt_level = $(if $(filter $(basename $(notdir $(1))),$(WASM_HOT_FILES)),-O2,-Oz)
build/wasm/%.o: c/%.c $(C_HEADERS) $(CJSON_STAMP) $(EMCC_FLAGS_STAMP) | setup
	@mkdir -p $(@D)
	NODE_PATH=/usr/share/nodejs emcc -c $(call wasm_opt_level,$<) $(EMCC_COMPILE_FLAGS) $< -o $@
build/wasm/cJSON.o: $(CJSON_STAMP) $(EMCC_FLAGS_STAMP) | setup
	@mkdir -p $(@D)
	NODE_PATH=/usr/share/nodejs emcc -c -Oz $(EMCC_COMPILE_FLAGS) build/cjson/cJSON.c -o $@

$(WASM): $(WASM_OBJECTS) $(EMCC_FLAGS_STAMP) | setup
	@test -n "$(WASM_SOURCES)" || { echo "no c/*.c sources to build" >&2; exit 1; }
	NODE_PATH=/usr/share/nodejs emcc $(EMCC_LINK_FLAGS) $(WASM_OBJECTS) -o $@
	wasm-opt $(WASM_OPT_FLAGS) $@ -o $@
	@! grep -nE '(^|[^_[:alnum:]])$(LIBC_HEAVY)\(' $(filter-out c/fmt.c c/strtod.c c/wasm.c,$(WASM_SOURCES)) \
	  || echo "warning: the lines above call libc's printf/strto* family, which adds ~5 kB gzipped to the wasm; use hs_snprintf (fmt.h) / hs_strtod (strtod.h)" >&2
	@$(NODE) scripts/describe-wasm.mjs $@
# }====

# {==== dist/: one ESM file per package entry + the wasm (scripts/build-dist.mjs)
DIST_SOURCES := index.js $(wildcard js/*.js js/*/*.js web/*.js node/*.js debugger/*.js sync/*.js) scripts/build-dist.mjs
dist: dist/index.js

dist/index.js: $(WASM) $(DIST_SOURCES) | setup
	$(NODE) scripts/build-dist.mjs
# }====

# {==== native test programs (ASan + UBSan); engine objects are compiled once into an archive
native-tests: $(C_TEST_BINS) $(CONFORMANCE_JSONL)

build/native/%.o: c/%.c $(C_HEADERS) $(CJSON_STAMP) | setup
	@mkdir -p $(@D)
	$(CC_NATIVE) $(NATIVE_CFLAGS) -c $< -o $@

build/native/cJSON.o: $(CJSON_STAMP)
	@mkdir -p $(@D)
	$(CC_NATIVE) $(NATIVE_CFLAGS) -c build/cjson/cJSON.c -o $@

# An archive, so a test that #includes a c/*.c file to reach its statics still links:
# the linker then takes nothing from that module's archive member.
$(ENGINE_LIB): $(ENGINE_OBJECTS)
	@rm -f $@
	ar rcs $@ $^

build/tests/%: tests/c/%.c $(wildcard tests/c/*.h) $(ENGINE_SOURCES) $(C_HEADERS) $(ENGINE_LIB)
	@mkdir -p $(@D)
	$(CC_NATIVE) $(NATIVE_CFLAGS) -Itests/c $< $(ENGINE_LIB) -lm $(LDFLAGS_$*) -o $@

# test_oom fails the engine's allocations one by one: its malloc family goes through wrappers.
LDFLAGS_test_oom := -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc
LDFLAGS_test_live := $(LDFLAGS_test_oom)

# build/tests/test_engine runs every conformance case natively; it reads them from this file.
$(CONFORMANCE_JSONL): tests/conformance/to-jsonl.mjs $(wildcard tests/conformance/*.test)
	@mkdir -p $(@D)
	$(NODE) tests/conformance/to-jsonl.mjs $@
# }====

# {==== libFuzzer targets (clang from Debian): tests/fuzz/fuzz_<name>.c, one binary each
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_SOURCES := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SOURCES))
FUZZ_CFLAGS  := -std=c11 -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=undefined -Ic -Ibuild/cjson
FUZZ_OBJECTS := $(patsubst c/%.c,build/fuzz/obj/%.o,$(ENGINE_SOURCES)) build/fuzz/obj/cJSON.o

fuzz-targets: $(FUZZ_BINS)

# The engine gets coverage instrumentation (fuzzer-no-link) so libFuzzer can steer by it.
build/fuzz/obj/%.o: c/%.c $(C_HEADERS) $(CJSON_STAMP) | setup
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

build/fuzz/obj/cJSON.o: $(CJSON_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c build/cjson/cJSON.c -o $@

build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_common.h $(FUZZ_OBJECTS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< $(FUZZ_OBJECTS) -lm -o $@

# Each target for FUZZ_SECONDS (default 5 minutes) from its seed corpus and build/fuzz/work (kept
# between runs); make test runs 15 s each from the seeds alone.
fuzz: fuzz-targets
	$(NODE) tests/fuzz/run-fuzz.mjs --keep --seconds $(FUZZ_SECONDS)
# }====

# {==== valgrind: the fuzz targets' seed corpora, run by a plain main() (tests/fuzz/corpus_main.c)
# in a build without sanitizers (valgrind and ASan do not mix), under valgrind's memcheck.
VALGRIND_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SOURCES))
VALGRIND_BINS    := $(addprefix build/valgrind/corpus_,$(VALGRIND_TARGETS))
VALGRIND_CFLAGS  := -std=c11 -O1 -g -Wall -Wextra -Ic -Ibuild/cjson

valgrind-tests: $(VALGRIND_BINS)

build/valgrind/corpus_%: tests/fuzz/fuzz_%.c tests/fuzz/corpus_main.c tests/fuzz/fuzz_common.h $(ENGINE_SOURCES) $(C_HEADERS) $(CJSON_STAMP)
	@mkdir -p $(@D)
	$(CC_NATIVE) $(VALGRIND_CFLAGS) $< tests/fuzz/corpus_main.c $(ENGINE_SOURCES) build/cjson/cJSON.c -lm -o $@

valgrind: valgrind-tests
	$(NODE) tests/run-all.mjs valgrind
# }====

# {==== soak: 1,000,000 commits with retention through the Database API, memory curve printed
SOAK_COMMITS ?= 1000000
soak: wasm
	$(NODE) --expose-gc tests/soak/soak.mjs --commits $(SOAK_COMMITS)
# }====

build: setup wasm dist native-tests fuzz-targets valgrind-tests

# {==== tests: every suite goes through tests/run-all.mjs, which prints the SUMMARY line
test: build
	$(NODE) tests/run-all.mjs

test-c: build
	$(NODE) tests/run-all.mjs c

test-js: build
	$(NODE) tests/run-all.mjs js

test-browsers: build
	$(NODE) tests/run-all.mjs browsers

test-runtimes: build
	$(NODE) tests/run-all.mjs runtimes

test-package: build
	$(NODE) tests/run-all.mjs package
# }====

bench: build
	$(NODE) bench/speed.mjs
	$(NODE) bench/range-count.mjs
	$(NODE) bench/speed-browser.mjs
	$(NODE) bench/timetravel.mjs
	$(NODE) bench/live.mjs
	$(NODE) --expose-gc bench/commit-core.mjs
	$(NODE) bench/persist-node.mjs
	$(NODE) bench/browser-persist.mjs
	$(NODE) bench/debugger-scrub.mjs
	$(NODE) bench/debugger-scrub.mjs --browser firefox
	$(NODE) --experimental-websocket bench/sync.mjs

demo: build
	@test -f demo/index.html || echo "warning: demo/index.html does not exist yet" >&2
	@$(NODE) scripts/serve.mjs $(PORT)

clean:
	rm -rf build/native build/wasm build/tests build/fuzz build/valgrind build/workerd $(CONFORMANCE_JSONL) $(WASM)

# Also drops the downloaded cJSON and the npm packages; the next build fetches them again.
distclean: clean
	rm -rf build node_modules
