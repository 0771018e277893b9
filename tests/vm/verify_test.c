// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: run --checksum stores each object's SHA-256 in its record,
 * equal to sha256sum of the file on the server, written buffered
 * (--no-direct) and with O_DIRECT (the default); verify passes good objects, finds an object corrupted or cut
 * short behind the stack's back, drops it (the next open refills it from
 * NFS), keeps one that is open, says when a removal goes on in the
 * background (a frozen cache), counts objects filled without a checksum
 * and is root's.
 */
#include <endian.h>
#include <stdint.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "../lib/nfsc_fill.h"
#include "kselftest_harness.h"

#define HELPER_LOG "/tmp/verify_test-helper.log"

FIXTURE(verify) {
	char dir[PATH_MAX];
	uint32_t id;
	pid_t helper;
};

FIXTURE_SETUP(verify)
{
	self->helper = 0;
	ASSERT_EQ(0, nfsc_fresh_stack(self->dir, sizeof(self->dir), &self->id));
}

FIXTURE_TEARDOWN(verify)
{
	cache_thaw();	/* after a test stopped while the cache was frozen */
	if (self->helper > 0)
		stop_helper(self->helper);
	EXPECT_EQ(0, nfsc_umount(NFSC_STACK));
	nfsc_sh("rm -f %s/vf-*", nfsc_env("NFSC_EXPORT"));
}

static int helper_cmd(char *out, size_t len, const char *args)
{
	return nfsc_sh_out(out, len, "%s/helper/nfscache-helper %s 2>&1",
			   nfsc_env("NFSC_TOP"), args);
}

/* Read @name through the stack and wait for its object; 0 and its path. */
static int fill_one(const char *dir, const char *name, char *obj, size_t len)
{
	long long ok = nfsc_stat(dir, "fills_ok");

	if (stack_matches_export(name) ||
	    nfsc_wait_stat(dir, "fills_ok", ok + 1, 120) < ok + 1)
		return -1;
	return object_of(name, obj, len);
}

/* The record's checksum as hex, "" when it has none. */
static int record_csum(const char *obj, char *hex, size_t len)
{
	struct nfs_cachefs_record rec;
	unsigned int i;

	memset(&rec, 0, sizeof(rec));
	if (getxattr(obj, NFS_CACHEFS_XATTR, &rec, sizeof(rec)) != sizeof(rec))
		return -1;
	hex[0] = '\0';
	for (i = 0; i < rec.csum_len && 2 * i + 2 < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", rec.csum[i]);
	return 0;
}

TEST_F_TIMEOUT(verify, checksum_in_the_record_is_the_files_sha256, 300)
{
	static const char *const modes[] = { "--checksum --no-direct", "--checksum" };
	char obj[PATH_MAX], got[256], want[256], name[32];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		self->helper = nfsc_start_helper(HELPER_LOG, modes[i]);
		ASSERT_GT(self->helper, 0);
		/*
		 * Unaligned tails, several pipe rounds; the second file is cut
		 * into 2 ranges, summed as their writes join up.
		 */
		snprintf(name, sizeof(name), "vf-sum%u", i);
		ASSERT_EQ(0, make_file(name, (i ? 64 * MiB : 5 * MiB) + 4097 * i + 13,
				       200 + i));
		ASSERT_EQ(0, fill_one(self->dir, name, obj, sizeof(obj)));
		if (i)
			EXPECT_EQ(0, nfsc_sh("grep -q 'vf-sum1: 67112974 bytes, io_uring-splice in 2 ranges, ' " HELPER_LOG));
		ASSERT_EQ(0, record_csum(obj, got, sizeof(got)));
		ASSERT_EQ(0, nfsc_sh_out(want, sizeof(want),
					 "printf 01; sha256sum %s/%s | cut -d' ' -f1 | tr -d '\\n'",
					 nfsc_env("NFSC_EXPORT"), name));
		EXPECT_STREQ(want, got) TH_LOG("%s", modes[i]);
		ASSERT_EQ(0, stop_helper(self->helper));
		self->helper = 0;
	}
}

/* Make @obj's record one of another layout version. */
static int record_set_version(const char *obj, uint8_t version)
{
	struct nfs_cachefs_record rec;

	if (getxattr(obj, NFS_CACHEFS_XATTR, &rec, sizeof(rec)) != sizeof(rec))
		return -1;
	rec.version = version;
	return setxattr(obj, NFS_CACHEFS_XATTR, &rec, sizeof(rec), XATTR_REPLACE);
}

TEST_F_TIMEOUT(verify, bad_objects_are_found_and_dropped, 300)
{
	char out[4096], obj[PATH_MAX], cut[PATH_MAX], plain[PATH_MAX];
	char later[PATH_MAX];
	long long culled, ok, reads;
	int fd;

	/* One object filled without a checksum: counted, not judged. */
	self->helper = nfsc_start_helper(HELPER_LOG, "");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, make_file("vf-plain", MiB, 210));
	ASSERT_EQ(0, fill_one(self->dir, "vf-plain", plain, sizeof(plain)));
	ASSERT_EQ(0, stop_helper(self->helper));

	self->helper = nfsc_start_helper(HELPER_LOG, "--checksum");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, make_file("vf-a", 3 * MiB + 5, 211));
	ASSERT_EQ(0, make_file("vf-b", 2 * MiB, 212));
	ASSERT_EQ(0, fill_one(self->dir, "vf-a", obj, sizeof(obj)));
	ASSERT_EQ(0, fill_one(self->dir, "vf-b", cut, sizeof(cut)));
	ASSERT_EQ(0, make_file("vf-c", MiB, 213));
	ASSERT_EQ(0, fill_one(self->dir, "vf-c", later, sizeof(later)));

	EXPECT_EQ(0, helper_cmd(out, sizeof(out), "verify")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "verified 4 object(s): 3 good, 0 bad (0 dropped), "
			       "1 without a checksum")) TH_LOG("%s", out);

	/*
	 * Behind the stack's back: one byte changed, one object cut short;
	 * one record of a layout to come, judged by nothing this helper knows.
	 */
	ASSERT_EQ(0, nfsc_sh("printf X | dd of=%s bs=1 seek=1234567 conv=notrunc status=none", obj));
	ASSERT_EQ(0, truncate(cut, MiB));
	ASSERT_EQ(0, record_set_version(later, NFS_CACHEFS_RECORD_VERSION + 1));
	ASSERT_EQ(0, nfsc_sh("printf Z | dd of=%s bs=1 seek=7 conv=notrunc status=none", later));
	culled = nfsc_stat(self->dir, "culled");
	EXPECT_EQ(1, helper_cmd(out, sizeof(out), "verify")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "verified 4 object(s): 0 good, 2 bad (2 dropped), "
			       "2 without a checksum")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, ": record version 2, not 1: not checked")) TH_LOG("%s", out);
	EXPECT_EQ(0, access(later, F_OK));
	/* Gone by hand, as an operator may: its line would break --json below. */
	ASSERT_EQ(0, unlink(later));
	EXPECT_EQ(0, nfsc_sh("echo '%s' | grep -qE '^bad: mount [0-9]+: object "
			     "[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]+: checksum mismatch \\(dropped\\)$'",
			     out)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, ": length differs from the record (dropped)")) TH_LOG("%s", out);
	EXPECT_EQ(culled + 2, nfsc_stat(self->dir, "culled"));
	EXPECT_NE(0, access(obj, F_OK));
	EXPECT_NE(0, access(cut, F_OK));

	/* Served from NFS again, right, and filled anew. */
	ASSERT_EQ(0, drop_caches());
	reads = nfs_reads();
	ok = nfsc_stat(self->dir, "fills_ok");
	EXPECT_EQ(0, stack_matches_export("vf-a"));
	EXPECT_LT(reads, nfs_reads());
	EXPECT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 120));
	EXPECT_EQ(0, object_of("vf-a", obj, sizeof(obj)));
	EXPECT_EQ(0, helper_cmd(out, sizeof(out), "verify --json")) TH_LOG("%s", out);
	EXPECT_EQ(0, nfsc_sh("echo '%s' | python3 -c 'import json,sys; d=json.load(sys.stdin);"
			     " sys.exit(not (d[\"objects\"] == 2 and d[\"good\"] == 1 and"
			     " d[\"bad\"] == 0 and d[\"unchecked\"] == 1 and d[\"bad_objects\"] == []))'",
			     out)) TH_LOG("%s", out);

	/* An open object is kept, and said to be. */
	fd = open(NFSC_STACK "/vf-a", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nfsc_sh("printf Y | dd of=%s bs=1 seek=5 conv=notrunc status=none", obj));
	EXPECT_EQ(1, helper_cmd(out, sizeof(out), "verify --json")) TH_LOG("%s", out);
	EXPECT_EQ(0, nfsc_sh("echo '%s' | python3 -c 'import json,sys; d=json.load(sys.stdin);"
			     " b=d[\"bad_objects\"]; sys.exit(not (d[\"bad\"] == 1 and"
			     " d[\"dropped\"] == 0 and len(b) == 1 and not b[0][\"dropped\"] and"
			     " b[0][\"fate\"] == \"kept_open\" and"
			     " b[0][\"reason\"] == \"checksum mismatch\"))'", out)) TH_LOG("%s", out);
	EXPECT_EQ(0, access(obj, F_OK));
	close(fd);
	EXPECT_EQ(1, helper_cmd(out, sizeof(out), "verify")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "1 bad (1 dropped)")) TH_LOG("%s", out);
	EXPECT_NE(0, access(obj, F_OK));
}

/*
 * @name filled by a daemon run --checksum for it, then one byte of its
 * object changed behind the stack's back. 0 and the object's path.
 */
static int fill_then_corrupt(FIXTURE_DATA(verify) *self, const char *name,
			     char *obj, size_t len)
{
	int ret;

	self->helper = nfsc_start_helper(HELPER_LOG, "--checksum");
	if (self->helper <= 0)
		return -1;
	ret = fill_one(self->dir, name, obj, len);
	if (stop_helper(self->helper))
		ret = -1;
	self->helper = 0;
	return ret ? ret : nfsc_sh("printf X | dd of=%s bs=1 seek=9 conv=notrunc,fsync status=none",
				   obj);
}

/*
 * On a frozen cache filesystem a bad object's removal outlasts the
 * kernel's wait: verify says it goes on (text and JSON), and it does once
 * the cache thaws.
 */
TEST_F_TIMEOUT(verify, a_removal_on_a_frozen_cache_goes_on, 300)
{
	char out[4096], obj[PATH_MAX];
	int ret;

	ASSERT_EQ(0, make_file("vf-fz", MiB, 214));
	ASSERT_EQ(0, fill_then_corrupt(self, "vf-fz", obj, sizeof(obj)));
	ASSERT_EQ(0, cache_freeze(60));
	ret = helper_cmd(out, sizeof(out), "verify --json");
	if (ret == 1)
		ret = nfsc_sh("echo '%s' | python3 -c 'import json,sys; d=json.load(sys.stdin);"
			      " b=d[\"bad_objects\"]; sys.exit(not (d[\"bad\"] == 1 and"
			      " d[\"dropped\"] == 0 and len(b) == 1 and not b[0][\"dropped\"] and"
			      " b[0][\"fate\"] == \"being_dropped\"))'", out) ? -1 : 1;
	ASSERT_EQ(0, cache_thaw());
	EXPECT_EQ(1, ret) TH_LOG("%s", out);
	EXPECT_EQ(0, wait_object_gone("vf-fz", 30));

	/* Filled anew; the text says so too. */
	ASSERT_EQ(0, fill_then_corrupt(self, "vf-fz", obj, sizeof(obj)));
	ASSERT_EQ(0, cache_freeze(60));
	ret = helper_cmd(out, sizeof(out), "verify");
	ASSERT_EQ(0, cache_thaw());
	EXPECT_EQ(1, ret) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, ": checksum mismatch (still being dropped)")) TH_LOG("%s", out);
	EXPECT_EQ(0, wait_object_gone("vf-fz", 30));
}

TEST_F(verify, usage_and_privilege)
{
	char out[1024];

	EXPECT_EQ(2, helper_cmd(out, sizeof(out), "verify --bogus"));
	EXPECT_EQ(0, helper_cmd(out, sizeof(out), "verify --help"));
	EXPECT_NE(NULL, strstr(out, "Usage: nfscache-helper verify")) TH_LOG("%s", out);
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out),
				 "setpriv --reuid=65534 --regid=65534 --clear-groups "
				 "%s/helper/nfscache-helper verify 2>&1", nfsc_env("NFSC_TOP")));
	EXPECT_NE(NULL, strstr(out, "verify: needs CAP_SYS_ADMIN")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
