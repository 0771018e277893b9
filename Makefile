# SPDX-License-Identifier: GPL-2.0
#
# nfs_cachefs: kernel module (kmod/) and fill daemon (helper/).
#
#   make                  module for KVER (default: running kernel if its
#                         headers exist, else Debian's 6.1) and the helper
#   make KVER=6.12        module against the installed 6.12 headers
#   make check            deps, builds, lint, dkms, host and VM tests on
#                         every kernel in KERNELS; ends "N passed, N failed"
#   make check-debug      the VM tests on the debug kernel (KASAN, lockdep,
#                         kmemleak), built first if needed (30+ min once)
#   make KVER=debug       module against that debug kernel
#   make demo             the main job in the test VM
#   make lint             checkpatch --strict and sparse on both kernels
#   make install          module into /lib/modules/KVER/updates, helper
#                         into $(DESTDIR)$(SBINDIR), its systemd unit, man
#                         pages, example configurations; make uninstall
#   make deps             install build and test dependencies (Debian)

KERNELS ?= 6.1 6.12
KVER_FULL := $(shell scripts/kver $(KVER) 2>/dev/null)
KDIR ?= $(shell scripts/kver -b $(KVER) 2>/dev/null)
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/nfs_cachefs
MANDIR ?= $(PREFIX)/share/man
MODDIR = $(DESTDIR)/lib/modules/$(KVER_FULL)/updates
# What `make install` installs; the VM tests point MODULE at a per-kernel build.
MODULE ?= kmod/nfs_cachefs.ko
HELPER ?= helper/nfscache-helper

KSFT := build/tools/kselftest
TEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
	-Iuapi -isystem $(KSFT) -DNFSC_VERSION='"$(shell cat VERSION)"'
HOST_TESTS := $(patsubst tests/host/%.c,build/tests/host/%,$(wildcard tests/host/*_test.c))
VM_TESTS := $(patsubst tests/vm/%.c,build/tests/vm/%,$(wildcard tests/vm/*_test.c)) \
	build/tests/vm/reboot_persist
BENCH_TOOLS := build/tests/bench/copy_bench build/tests/bench/fh_name \
	build/tests/bench/alt_read

all: module helper

module:
	@test -n "$(KVER_FULL)" || { scripts/kver $(KVER); exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

helper:
	$(MAKE) -C helper

tests: $(HOST_TESTS) $(VM_TESTS) $(BENCH_TOOLS)

$(KSFT)/kselftest_harness.h:
	scripts/deps

build/tests/%: tests/%.c tests/lib/*.h $(KSFT)/kselftest_harness.h uapi/linux/nfs_cachefs.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $(EXTRA_CFLAGS) -o $@ $< $(EXTRA_SRCS) $(EXTRA_LDLIBS)

# The copy engine's test links the engine, under ASan and UBSan, its
# io_uring_submit() calls through the test's (refused_submits_are_retried).
build/tests/host/copy_test: helper/copy.c helper/copy.h
build/tests/host/copy_test: EXTRA_SRCS = helper/copy.c
build/tests/host/copy_test: EXTRA_CFLAGS = -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all
build/tests/host/copy_test: EXTRA_LDLIBS = -luring -Wl,--wrap=io_uring_submit

# The culling policy's test links it with the kernel's side stubbed.
build/tests/host/cull_test: helper/cull.c helper/cull.h helper/nl.h helper/log.h \
	helper/volume.c helper/volume.h
build/tests/host/cull_test: EXTRA_SRCS = helper/cull.c helper/volume.c
build/tests/host/cull_test: EXTRA_CFLAGS = -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all

# The configuration file's parser, under ASan and UBSan.
build/tests/host/config_test: helper/config.c helper/config.h
build/tests/host/config_test: EXTRA_SRCS = helper/config.c
build/tests/host/config_test: EXTRA_CFLAGS = -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all

# Checksums and the state file, under ASan and UBSan.
build/tests/host/checksum_test: helper/sha256.c helper/checksum.c helper/state.c \
	helper/sha256.h helper/checksum.h helper/state.h helper/json.h
build/tests/host/checksum_test: EXTRA_SRCS = helper/sha256.c helper/checksum.c \
	helper/state.c
build/tests/host/checksum_test: EXTRA_CFLAGS = -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all

# The tree walk of prefetch and invalidate, under ASan and UBSan.
build/tests/host/walk_test: helper/walk.c helper/walk.h helper/log.h
build/tests/host/walk_test: EXTRA_SRCS = helper/walk.c
build/tests/host/walk_test: EXTRA_CFLAGS = -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all

# The fill tests drive the protocol themselves through the helper's channel.
NL_PKG := libnl-genl-3.0
FILL_TESTS := build/tests/vm/fill_test build/tests/vm/protocol_test \
	build/tests/vm/lifecycle_test build/tests/vm/reboot_persist \
	build/tests/vm/cull_test build/tests/vm/monitor_test \
	build/tests/vm/prefetch_test build/tests/vm/verify_test \
	build/tests/vm/status_test build/tests/vm/fuzz_test \
	build/tests/vm/privilege_test build/tests/vm/fault_test \
	build/tests/vm/stress_test
$(FILL_TESTS): helper/nl.c helper/nl.h
$(FILL_TESTS): EXTRA_SRCS = helper/nl.c
$(FILL_TESTS): EXTRA_CFLAGS = -Ihelper $(shell pkg-config --cflags $(NL_PKG))
$(FILL_TESTS): EXTRA_LDLIBS = $(shell pkg-config --libs $(NL_PKG))

# Benchmark tools (scripts/bench-guest): the copier against other engines.
build/tests/bench/copy_bench: helper/copy.c helper/copy.h
build/tests/bench/copy_bench: EXTRA_SRCS = helper/copy.c
build/tests/bench/copy_bench: EXTRA_CFLAGS = -Ihelper
build/tests/bench/copy_bench: EXTRA_LDLIBS = -luring
build/tests/bench/alt_read: EXTRA_LDLIBS = -pthread

deps:
	scripts/deps

check:
	scripts/check

check-debug:
	scripts/check-debug

debug-kernel:
	scripts/debug-kernel

demo:
	scripts/demo

# make bench [SCALE=quick|smoke]
bench:
	scripts/bench $(if $(SCALE),--$(SCALE))

lint:
	scripts/lint

install:
	@test -f $(MODULE) || { echo "install: $(MODULE) not built (run make)"; exit 1; }
	@test -f $(HELPER) || { echo "install: $(HELPER) not built (run make)"; exit 1; }
	@vm=$$(modinfo -F vermagic $(MODULE) | head -n 1 | cut -d" " -f1); \
	 test "$$vm" = "$(KVER_FULL)" || \
	 { echo "install: $(MODULE) is built for '$$vm', not KVER=$(KVER_FULL)"; exit 1; }
	install -D -m 0644 $(MODULE) $(MODDIR)/nfs_cachefs.ko
	install -D -m 0755 $(HELPER) $(DESTDIR)$(SBINDIR)/nfscache-helper
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|' helper/dist/nfscache-helper.service.in \
		>$(DESTDIR)$(UNITDIR)/nfscache-helper.service
	install -m 0644 helper/dist/modules-load.conf $(DESTDIR)$(DOCDIR)/modules-load.d-nfs_cachefs.conf
	install -m 0644 helper/dist/nfscache-helper.conf $(DESTDIR)$(DOCDIR)/nfscache-helper.conf.example
	install -D -m 0644 helper/dist/nfscache-helper.8 $(DESTDIR)$(MANDIR)/man8/nfscache-helper.8
	install -D -m 0644 helper/dist/nfs_cachefs.5 $(DESTDIR)$(MANDIR)/man5/nfs_cachefs.5
	$(if $(DESTDIR),depmod -b $(DESTDIR) $(KVER_FULL),depmod -a $(KVER_FULL))

uninstall:
	rm -f $(MODDIR)/nfs_cachefs.ko $(DESTDIR)$(SBINDIR)/nfscache-helper \
		$(DESTDIR)$(UNITDIR)/nfscache-helper.service \
		$(DESTDIR)$(MANDIR)/man8/nfscache-helper.8 $(DESTDIR)$(MANDIR)/man5/nfs_cachefs.5
	rm -rf $(DESTDIR)$(DOCDIR)
	$(if $(DESTDIR),-depmod -b $(DESTDIR) $(KVER_FULL),depmod -a $(KVER_FULL))

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C helper clean
	rm -rf build/tests build/vm build/check build/6.*

.PHONY: all module helper tests deps check check-debug debug-kernel demo bench lint install uninstall clean
