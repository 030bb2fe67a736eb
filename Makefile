# Sipline: the one entry point. `make` builds build/sipline, build/siplinectl and
# build/modules/*.so; `make test` installs what is missing, builds, and runs every test;
# `make run` starts the demo server on 127.0.0.1:5060. See README.md.
TOP := $(abspath .)
include Makefile.defs
MAKEFLAGS += --no-print-directory -j$(shell nproc)

PREFIX  ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc/sipline

CORE_SRCS := $(filter-out %_test.cc core/main.cc,$(wildcard core/*/*.cc))
CORE_OBJS := $(CORE_SRCS:%.cc=$(BUILD)/obj/%.o)
CORE_LIBS := $(shell pkg-config --libs $(PKGS)) -ldl -lrt
MODULES   := $(notdir $(patsubst %/,%,$(dir $(wildcard modules/*/Makefile))))
MODULE_SOS := $(MODULES:%=$(BUILD)/modules/%.so)
TEST_SRCS := $(wildcard core/*/*_test.cc modules/*/*_test.cc tools/*/*_test.cc) test/unit_main.cc
TEST_OBJS := $(TEST_SRCS:%.cc=$(BUILD)/obj/%.o)
# Test code itself needs no optimisation: at -O0 it compiles in about half the time, and the
# code under test keeps its -O2.
$(TEST_OBJS): OPT := -O0
# Under the sanitizers the test code itself skips UBSan's null, alignment and vptr checks: at
# -O0 they double its compile time (ASan still reports a null dereference). The code under
# test keeps every check, except its inline functions where a test object's copy is linked.
ifeq ($(SAN),1)
$(TEST_OBJS): SANFLAGS += -fno-sanitize=null,alignment,vptr
endif
# Module objects (built here with Makefile.module's flags); the unit runner links every one of
# them except the glue (<name>_module.o).
MODULE_SRCS := $(filter-out %_test.cc,$(wildcard modules/*/*.cc))
MODULE_OBJS := $(MODULE_SRCS:%.cc=$(BUILD)/obj/%.o)
MODULE_FEATURE_OBJS := $(filter-out %_module.o,$(MODULE_OBJS))
TEST_MODULES := $(notdir $(wildcard test/modules/*))
TEST_MODULE_SOS := $(TEST_MODULES:%=$(BUILD)/test-modules/%.so)
# siplinectl (tools/siplinectl): its feature code is in the unit runner too; the binary links
# the core (as an archive: only what it uses) and the db_postgres driver's feature objects, so
# it needs no module directory. The schema files of scripts/sql/ are embedded at build time.
CTL_SRCS := $(filter-out %_test.cc tools/siplinectl/main.cc,$(wildcard tools/siplinectl/*.cc))
CTL_OBJS := $(CTL_SRCS:%.cc=$(BUILD)/obj/%.o)
CTL_SQL  := $(wildcard scripts/sql/*.sql)
CTL_GEN  := $(BUILD)/gen/tools/siplinectl/schema_sql.gen.h
CTL_DRIVER_OBJS := $(filter $(BUILD)/obj/modules/db_postgres/%,$(MODULE_FEATURE_OBJS))

.PHONY: all deps test unit asan run install deb rpm clean check format bench bench-micro fuzz soak modules
all: $(BUILD)/sipline $(BUILD)/siplinectl $(MODULE_SOS) $(BUILD)/man/sipline-modules.7

deps:
	@scripts/install-deps

$(BUILD)/sipline: $(CORE_OBJS) $(BUILD)/obj/core/main.o
	@echo "  LINK    $(notdir $@)"
	$(Q)$(CXX) $(LDFLAGS) -rdynamic -o $@ $^ $(CORE_LIBS)

$(BUILD)/obj/%.o: %.cc
	@mkdir -p $(dir $@)
	@echo "  CXX     $<"
	$(Q)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c -o $@ $<

# Absolute source paths, so the dependency files read the same here and in the module's make.
$(BUILD)/obj/modules/%.o: $(TOP)/modules/%.cc
	@mkdir -p $(dir $@)
	@echo "  CXX     modules/$*.cc"
	$(Q)$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(MODULE_CXXFLAGS) -c -o $@ $<

# Modules resolve core symbols against the sipline executable (-rdynamic) at dlopen time.
# The module's Makefile links what this one compiled (and adds its LIBS).
$(BUILD)/modules/%.so: FORCE
	@$(MAKE) -s -C modules/$* BUILD=$(BUILD) SAN=$(SAN)
$(foreach m,$(MODULES),$(eval $(BUILD)/modules/$(m).so: $(filter $(BUILD)/obj/modules/$(m)/%,$(MODULE_OBJS))))

# sipline-modules(7), written by the modules themselves (their describe()); dated by the last
# commit so that the same tree gives the same page.
$(BUILD)/man/sipline-modules.7: $(BUILD)/sipline $(MODULE_SOS)
	@mkdir -p $(dir $@)
	@echo "  GEN     man/$(notdir $@)"
	$(Q)SOURCE_DATE_EPOCH=$$(git -C $(TOP) log -1 --format=%ct 2>/dev/null || date +%s) \
	  $(BUILD)/sipline --module-doc $(BUILD)/modules > $@.tmp && mv $@.tmp $@

# The list of SQL files as a stamp: adding or removing one regenerates the header even when
# the new file is older than it.
CTL_SQL_LIST := $(BUILD)/gen/tools/siplinectl/sql-files.txt
$(CTL_SQL_LIST): FORCE
	@mkdir -p $(dir $@)
	@echo "$(CTL_SQL)" | cmp -s - $@ || echo "$(CTL_SQL)" > $@

$(CTL_GEN): $(CTL_SQL) $(CTL_SQL_LIST) tools/siplinectl/embed-sql
	@mkdir -p $(dir $@)
	@echo "  GEN     $(notdir $@)"
	$(Q)tools/siplinectl/embed-sql $@ $(CTL_SQL)

$(BUILD)/obj/tools/siplinectl/embedded_schema.o: $(CTL_GEN)
$(BUILD)/obj/tools/siplinectl/embedded_schema.o: CPPFLAGS += -I$(BUILD)/gen

$(BUILD)/libsipline-core.a: $(CORE_OBJS)
	@echo "  AR      $(notdir $@)"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/siplinectl: $(BUILD)/obj/tools/siplinectl/main.o $(CTL_OBJS) $(CTL_DRIVER_OBJS) \
    $(BUILD)/libsipline-core.a
	@echo "  LINK    $(notdir $@)"
	$(Q)$(CXX) $(LDFLAGS) -o $@ $^ $(CORE_LIBS) $(shell pkg-config --libs libpq)

# Test modules (loader tests) resolve core symbols against the unit-test runner.
$(BUILD)/test-modules/%.so: test/modules/%/module.cc
	@mkdir -p $(dir $@)
	@echo "  MODULE  test/$*"
	$(Q)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -fPIC -fvisibility=hidden -shared -o $@ $<

$(TEST_OBJS): CPPFLAGS += -DSIPLINE_TEST_MODULE_DIR='"$(BUILD)/test-modules"' -DSIPLINE_SOURCE_DIR='"$(TOP)"'

$(BUILD)/unit_tests: $(TEST_OBJS) $(CORE_OBJS) $(MODULE_FEATURE_OBJS) $(CTL_OBJS) $(TEST_MODULE_SOS)
	@echo "  LINK    $(notdir $@)"
	$(Q)$(CXX) $(LDFLAGS) -rdynamic -o $@ $(TEST_OBJS) $(CORE_OBJS) $(MODULE_FEATURE_OBJS) $(CTL_OBJS) \
	  $(CORE_LIBS) $(shell pkg-config --libs cppunit)

BENCH_SRCS := $(wildcard bench/micro/*.cc)
$(BENCH_SRCS:%.cc=$(BUILD)/obj/%.o): CPPFLAGS += -DSIPLINE_SOURCE_DIR='"$(TOP)"'
# The trace benchmarks drive siptrace's writer and capture sink directly.
BENCH_MODULE_OBJS := $(filter $(BUILD)/obj/modules/siptrace/%,$(MODULE_FEATURE_OBJS))
$(BUILD)/bench_micro: $(BENCH_SRCS:%.cc=$(BUILD)/obj/%.o) $(CORE_OBJS) $(BENCH_MODULE_OBJS)
	@echo "  LINK    $(notdir $@)"
	$(Q)$(CXX) $(LDFLAGS) -o $@ $^ $(CORE_LIBS) $(shell pkg-config --libs benchmark)

# Micro-benchmarks only (Google Benchmark); `make bench` runs these and the load benches.
bench-micro: $(BUILD)/bench_micro
	@bench/run-micro

unit: $(BUILD)/unit_tests
	$(BUILD)/unit_tests

# The unit tests and the server itself under ASan/UBSan (build-asan/), for the asan stages.
asan:
	@$(MAKE) SAN=1 BUILD=$(TOP)/build-asan $(TOP)/build-asan/unit_tests $(TOP)/build-asan/sipline \
	  $(MODULES:%=$(TOP)/build-asan/modules/%.so)

test: deps
	@start=$$(date +%s) && $(MAKE) all $(BUILD)/unit_tests && \
	  echo "== build: took $$(($$(date +%s) - start)) s" && start=$$(date +%s) && \
	  $(MAKE) asan && echo "== asan build: took $$(($$(date +%s) - start)) s"
	@scripts/run-tests

soak: deps all
	@SIPLINE_SOAK=1 scripts/run-tests

run: deps all
	@scripts/run-demo

bench: deps all $(BUILD)/bench_micro
	@bench/run-all

# libFuzzer targets (clang++-14, ASan+UBSan): 30 minutes per target, then the corpus merge.
# `make test` runs each for 30 seconds (scripts/run-tests); see fuzz/README.md.
fuzz: deps
	@scripts/build-fuzz
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-1800} FUZZ_MERGE=1 scripts/run-fuzz-smoke

check:
	@scripts/check-format

format:
	@clang-format -i $$(git ls-files '*.cc' '*.h')

# The installed layout (the packages are made from it: packaging/): binaries in sbin, modules
# in lib/sipline/modules, the configuration of a fresh installation in SYSCONFDIR (loopback
# only, no database: cfg/starter.cfg with the registrar-proxy example script), the provider's
# configuration, the example scripts, the SQL schema and the HEP dissector for Wireshark in
# share/sipline, the man pages, every README and the bash completion. An existing
# configuration is never overwritten.
DOC_MODULES := $(wildcard modules/*/README.md)
install: all $(BUILD)/man/sipline-modules.7
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/sipline/modules $(DESTDIR)$(SYSCONFDIR)
	install -m 0755 $(BUILD)/sipline $(DESTDIR)$(PREFIX)/sbin/sipline
	install -m 0755 $(BUILD)/siplinectl $(DESTDIR)$(PREFIX)/sbin/siplinectl
	install -m 0644 $(MODULE_SOS) $(DESTDIR)$(PREFIX)/lib/sipline/modules/
	install -d $(DESTDIR)$(PREFIX)/share/sipline/sql $(DESTDIR)$(PREFIX)/share/sipline/examples/provider \
	  $(DESTDIR)$(PREFIX)/share/sipline/examples/routes
	install -m 0644 scripts/sql/*.sql scripts/sql/README.md $(DESTDIR)$(PREFIX)/share/sipline/sql/
	install -d $(DESTDIR)$(PREFIX)/share/sipline/wireshark
	install -m 0644 tools/wireshark/hep3.lua $(DESTDIR)$(PREFIX)/share/sipline/wireshark/
	install -m 0644 cfg/examples/*.routes $(DESTDIR)$(PREFIX)/share/sipline/examples/routes/
	install -m 0644 cfg/sipline.routes $(DESTDIR)$(PREFIX)/share/sipline/examples/provider/
	$(call install_cfg,cfg/sipline.cfg,$(DESTDIR)$(PREFIX)/share/sipline/examples/provider/sipline.cfg)
	install -d $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7 \
	  $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 $(BUILD)/man/sipline-modules.7 $(DESTDIR)$(PREFIX)/share/man/man7/
	install -m 0644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(PREFIX)/share/doc/sipline/modules
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/sipline/
	install -m 0644 tools/siplinectl/README.md $(DESTDIR)$(PREFIX)/share/doc/sipline/siplinectl.md
	$(foreach f,$(DOC_MODULES),install -m 0644 $(f) \
	  $(DESTDIR)$(PREFIX)/share/doc/sipline/modules/$(notdir $(patsubst %/,%,$(dir $(f)))).md;)
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 tools/siplinectl/siplinectl.bash-completion \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/siplinectl
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/sipline.cfg ]; then echo "keeping $(SYSCONFDIR)/sipline.cfg"; \
	else $(call install_cfg,cfg/starter.cfg,$(DESTDIR)$(SYSCONFDIR)/sipline.cfg); fi
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/sipline.routes ]; then echo "keeping $(SYSCONFDIR)/sipline.routes"; \
	else install -m 0644 cfg/examples/registrar-proxy.routes $(DESTDIR)$(SYSCONFDIR)/sipline.routes; fi

# install_cfg SRC,DEST: a settings file with the installed paths (modules, management socket)
# and its script beside it (sipline.routes).
install_cfg = sed -e 's|^mpath *=.*|mpath = "$(PREFIX)/lib/sipline/modules";|' \
	  -e 's|^routes *=.*|routes = "sipline.routes";|' \
	  -e 's|"../build/run/mi.sock"|"/run/sipline/mi.sock"|' \
	  -e 's|"../build/run/acc-spool"|"/var/lib/sipline/acc"|' $(1) > $(2) && chmod 0644 $(2)

# Packages from the tree built above (nothing is compiled again): $(BUILD)/pkg/. See
# packaging/README.md.
deb: all $(BUILD)/man/sipline-modules.7
	@packaging/build-deb $(TOP) $(BUILD)

rpm: all $(BUILD)/man/sipline-modules.7
	@packaging/build-rpm $(TOP) $(BUILD)

clean:
	rm -rf build build-asan

# Relative names for the absolute targets (make build/unit_tests works too).
build/sipline build/siplinectl build/unit_tests build/bench_micro: build/%: $(BUILD)/% ;

FORCE:
-include $(CORE_OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(MODULE_OBJS:.o=.d) $(BUILD)/obj/core/main.d \
  $(CTL_OBJS:.o=.d) $(BUILD)/obj/tools/siplinectl/main.d $(TEST_MODULE_SOS:.so=.d) \
  $(BENCH_SRCS:%.cc=$(BUILD)/obj/%.d)
