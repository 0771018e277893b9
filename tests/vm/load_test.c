// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: load on the stack for a bounded time. fio writes with checksums
 * and reads them back through every I/O engine an application would use,
 * stress-ng's filesystem stressors run against it, and several processes
 * write and read their own files at once; nothing may be lost or corrupted.
 */
#include "../lib/nfsc_vm.h"
#include "kselftest_harness.h"

#define LOAD_DIR NFSC_STACK "/load"

FIXTURE(load) {
	int dummy;
};

FIXTURE_SETUP(load)
{
	ASSERT_EQ(0, nfsc_module_load());
	ASSERT_EQ(0, nfsc_mount_stack(NFSC_STACK));
	ASSERT_EQ(0, nfsc_sh("rm -rf %s && mkdir -p %s", LOAD_DIR, LOAD_DIR));
}

FIXTURE_TEARDOWN(load)
{
	nfsc_sh("rm -rf %s", LOAD_DIR);
	nfsc_umount(NFSC_STACK);
}

static int fio_verify(const char *engine, const char *extra)
{
	return nfsc_sh("fio --name=%s --directory=%s --ioengine=%s %s "
		       "--rw=randwrite --bs=4k,64k --size=16M --numjobs=3 "
		       "--verify=crc32c --verify_fatal=1 --do_verify=1 --verify_state_save=0 "
		       "--runtime=120 --group_reporting --output=/tmp/fio-%s.log "
		       "|| { cat /tmp/fio-%s.log >&2; exit 1; }",
		       engine, LOAD_DIR, engine, extra, engine, engine);
}

TEST_F_TIMEOUT(load, fio_verify_psync, 300)
{
	EXPECT_EQ(0, fio_verify("psync", ""));
}

TEST_F_TIMEOUT(load, fio_verify_libaio_direct, 300)
{
	EXPECT_EQ(0, fio_verify("libaio", "--direct=1 --iodepth=8"));
}

TEST_F_TIMEOUT(load, fio_verify_io_uring, 300)
{
	EXPECT_EQ(0, fio_verify("io_uring", "--iodepth=8"));
}

TEST_F_TIMEOUT(load, fio_verify_mmap, 300)
{
	EXPECT_EQ(0, fio_verify("mmap", ""));
}

/*
 * Not the link and symlink stressors: one round of theirs is 8 192 links
 * made and removed, 100 s under emulation however short the run
 * (parallel_writers_readers makes links beside its readers and writers);
 * dentry rounds of 256 files, not 2 048.
 */
TEST_F_TIMEOUT(load, stress_ng_filesystem, 300)
{
	EXPECT_EQ(0, nfsc_sh("cd %s && stress-ng --temp-path %s --timeout 20s "
			     "--hdd 2 --hdd-bytes 8M --verify --dir 1 --dentry 1 "
			     "--dentries 256 --rename 1 --lockf 1 --flock 1 "
			     "--fstat 1 --seek 1 --fallocate 1 --mmap 1 --mmap-file "
			     "--mmap-bytes 4M --readahead 1 --readahead-bytes 8M "
			     "--metrics-brief > /tmp/stress-ng.log 2>&1 "
			     "|| { cat /tmp/stress-ng.log >&2; exit 1; }",
			     LOAD_DIR, LOAD_DIR));
}

/* Writers, readers and makers of links at once, each checking its work. */
TEST_F_TIMEOUT(load, parallel_writers_readers, 300)
{
	EXPECT_EQ(0, nfsc_sh(
		"cd %s && head -c 8M /dev/urandom > /tmp/src && cp /tmp/src shared && "
		"pids= && for i in 1 2 3 4; do "
		"( for r in 1 2 3; do cp /tmp/src w$i && cmp /tmp/src w$i || exit 1; done ) & "
		"pids=\"$pids $!\"; "
		"( for r in 1 2 3 4 5; do cmp /tmp/src shared || exit 1; done ) & "
		"pids=\"$pids $!\"; "
		"[ $i -le 2 ] && { ( for r in 1 2 3 4 5 6 7 8; do "
		"ln shared h$i.$r && ln -s shared s$i.$r && "
		"[ h$i.$r -ef shared ] && [ s$i.$r -ef shared ] || exit 1; done; "
		"rm h$i.* s$i.* ) & pids=\"$pids $!\"; }; done; "
		"fail=0; for p in $pids; do wait $p || fail=1; done; exit $fail",
		LOAD_DIR));
}

TEST_HARNESS_MAIN
