// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: the helper's SHA-256 and object checksums (helper/sha256.c,
 * checksum.c) and its state file (state.c). SHA-256 against FIPS 180-4's
 * examples and coreutils' sha256sum; a checksum taken while a file grows,
 * in steps and whole blocks, equal to the one of the finished file, also
 * through O_DIRECT; the state file written and read back; JSON strings
 * that parse whatever bytes a path holds. Built with
 * ASan/UBSan; each test ends with a leak check.
 */
#include <fcntl.h>
#include <limits.h>
#include <sanitizer/lsan_interface.h>
#include <sys/stat.h>

#include "../lib/nfsc_test.h"
#include "../../helper/checksum.h"
#include "../../helper/json.h"
#include "../../helper/state.h"
#include "kselftest_harness.h"

static void hex_of(const void *data, size_t len, char *hex)
{
	struct sha256 s;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&s);
	sha256_update(&s, data, len);
	sha256_final(&s, d);
	nfsc_csum_hex(d, sizeof(d), hex);
}

TEST(sha256_fips_examples)
{
	char hex[2 * SHA256_DIGEST_SIZE + 1];
	uint8_t d[SHA256_DIGEST_SIZE];
	char chunk[997];
	struct sha256 s;
	size_t left;

	hex_of("", 0, hex);
	EXPECT_STREQ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex);
	hex_of("abc", 3, hex);
	EXPECT_STREQ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hex);
	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	EXPECT_STREQ("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", hex);
	/* A million 'a', in pieces that straddle the 64-byte blocks. */
	memset(chunk, 'a', sizeof(chunk));
	sha256_init(&s);
	for (left = 1000000; left; left -= left < sizeof(chunk) ? left : sizeof(chunk))
		sha256_update(&s, chunk, left < sizeof(chunk) ? left : sizeof(chunk));
	sha256_final(&s, d);
	nfsc_csum_hex(d, sizeof(d), hex);
	EXPECT_STREQ("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", hex);
	__lsan_do_leak_check();
}

/* A file of @size random bytes at @path. */
static int make_data(const char *path, size_t size)
{
	return nfsc_sh("head -c %zu /dev/urandom >'%s' && "
		       "test $(stat -c %%s '%s') = %zu", size, path, path, size);
}

static void scratch(char *path, size_t len, const char *name)
{
	snprintf(path, len, "%s/build/tests/host/checksum_test.%s",
		 getenv("NFSC_TOP") ? getenv("NFSC_TOP") : ".", name);
}

TEST(file_checksum_matches_sha256sum)
{
	static const size_t sizes[] = { 0, 1, 63, 64, 4095, 4096, 4097,
					1 << 20, (1 << 20) + 3, 3 << 20 };
	char path[PATH_MAX], want[128], hex[NFSC_CSUM_HEX_LEN];
	uint8_t csum[NFSC_CSUM_LEN];
	uint64_t bytes;
	unsigned int i;
	int fd;

	scratch(path, sizeof(path), "data");
	for (i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		ASSERT_EQ(0, make_data(path, sizes[i]));
		ASSERT_EQ(0, nfsc_sh_out(want, sizeof(want),
					 "printf 01; sha256sum '%s' | cut -d' ' -f1 | tr -d '\\n'",
					 path));
		fd = open(path, O_RDONLY);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, nfsc_csum_file(fd, csum, &bytes));
		close(fd);
		EXPECT_EQ(sizes[i], bytes);
		EXPECT_EQ(NFS_CACHEFS_CSUM_SHA256, csum[0]);
		nfsc_csum_hex(csum, sizeof(csum), hex);
		EXPECT_STREQ(want, hex) TH_LOG("size %zu", sizes[i]);
	}
	unlink(path);
	__lsan_do_leak_check();
}

/*
 * Sum a file while "writing" it: advance to odd marks (only whole blocks
 * are taken until the end), then finish; @direct reads through O_DIRECT.
 * 0 when equal to the finished file's sum, 1 when not, -1 on errors.
 */
static int sum_growing(const char *path, size_t size, bool direct)
{
	static const uint64_t marks[] = { 1, 4095, 4096, 10000, 65536 + 17,
					  1 << 20, (1 << 20) + 4096 * 3 + 5 };
	uint8_t a[NFSC_CSUM_LEN], b[NFSC_CSUM_LEN];
	struct nfsc_csum s;
	uint64_t bytes;
	unsigned int i;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | (direct ? O_DIRECT : 0));
	if (fd < 0)
		return direct && errno == EINVAL ? -EINVAL : -1;
	if (nfsc_csum_init(&s))
		goto out;
	for (i = 0; i < sizeof(marks) / sizeof(*marks) && marks[i] < size; i++) {
		if (nfsc_csum_advance(&s, fd, marks[i], 5000, false) ||
		    s.done % 4096 || s.done > marks[i])
			goto out_sum;
	}
	if (nfsc_csum_advance(&s, fd, size, UINT64_MAX, true) || s.done != size)
		goto out_sum;
	nfsc_csum_final(&s, a);
	if (nfsc_csum_file(fd, b, &bytes) || bytes != size)
		goto out_sum;
	ret = memcmp(a, b, sizeof(a)) ? 1 : 0;
out_sum:
	nfsc_csum_free(&s);
out:
	close(fd);
	return ret;
}

TEST(checksum_taken_while_writing_equals_the_whole)
{
	char path[PATH_MAX];

	scratch(path, sizeof(path), "grow");
	ASSERT_EQ(0, make_data(path, (2 << 20) + 1234));
	EXPECT_EQ(0, sum_growing(path, (2 << 20) + 1234, false));
	unlink(path);
	__lsan_do_leak_check();
}

TEST(checksum_taken_while_writing_through_o_direct)
{
	char path[PATH_MAX];
	int ret;

	scratch(path, sizeof(path), "grow-direct");
	ASSERT_EQ(0, make_data(path, (2 << 20) + 1234));
	ret = sum_growing(path, (2 << 20) + 1234, true);
	unlink(path);
	if (ret == -EINVAL)
		SKIP(return, "the filesystem of build/ refuses O_DIRECT");
	EXPECT_EQ(0, ret);
	__lsan_do_leak_check();
}

TEST(state_file_round_trip)
{
	struct nfsc_state_fill fills[2] = {
		{ .id = 17, .mount_id = 3, .size = 200 << 20, .bytes = 1 << 20,
		  .start_ns = 1700000000123456789LL, .path = "/mnt/nfs/a b" },
		{ .id = 18, .mount_id = 4, .size = 10, .bytes = 0,
		  .start_ns = 1, .path = "/mnt/nfs/new\nline" },
	};
	struct nfsc_state st = {
		.pid = 4242, .started = 1700000000, .updated_ns = 1700000001000000000LL,
		.cull = { .max_size = 1ULL << 40, .run = 10, .start = 7, .stop = 3 },
		.max_inflight = 16, .checksum = true, .cache_bytes = 12345,
		.cache_objects = 6, .culled = 2, .fills_ok = 5, .fills_failed = 1,
		.fills_unconfirmed = 3,
		.queued = 9, .nfills = 2, .fills = fills,
	};
	char path[PATH_MAX];
	struct nfsc_state r;

	scratch(path, sizeof(path), "state");
	ASSERT_EQ(0, nfsc_state_write(path, &st));
	ASSERT_EQ(0, nfsc_state_read(path, &r));
	EXPECT_EQ(4242, r.pid);
	EXPECT_EQ(1700000000, r.started);
	EXPECT_EQ(st.updated_ns, r.updated_ns);
	EXPECT_EQ(1ULL << 40, r.cull.max_size);
	EXPECT_EQ(10, r.cull.run);
	EXPECT_EQ(7, r.cull.start);
	EXPECT_EQ(3, r.cull.stop);
	EXPECT_EQ(16, r.max_inflight);
	EXPECT_TRUE(r.checksum);
	EXPECT_EQ(12345, r.cache_bytes);
	EXPECT_EQ(6, r.cache_objects);
	EXPECT_EQ(2, r.culled);
	EXPECT_EQ(5, r.fills_ok);
	EXPECT_EQ(1, r.fills_failed);
	EXPECT_EQ(3, r.fills_unconfirmed);
	EXPECT_EQ(9, r.queued);
	ASSERT_EQ(2, r.nfills);
	EXPECT_EQ(17, r.fills[0].id);
	EXPECT_EQ(3, r.fills[0].mount_id);
	EXPECT_EQ(200 << 20, r.fills[0].size);
	EXPECT_EQ(1 << 20, r.fills[0].bytes);
	EXPECT_EQ(1700000000123456789LL, r.fills[0].start_ns);
	EXPECT_STREQ("/mnt/nfs/a b", r.fills[0].path);
	/* A newline in a path cannot break the format. */
	EXPECT_STREQ("/mnt/nfs/new?line", r.fills[1].path);
	nfsc_state_free(&r);

	/* A later helper's keys are skipped; a known key needs its number. */
	ASSERT_EQ(0, nfsc_sh("printf 'future_key some words\\n"
			     "a_key_longer_than_thirty_two_characters 5\\n' >>'%s'", path));
	ASSERT_EQ(0, nfsc_state_read(path, &r));
	EXPECT_EQ(4242, r.pid);
	nfsc_state_free(&r);
	ASSERT_EQ(0, nfsc_sh("echo 'queued lots' >>'%s'", path));
	EXPECT_EQ(-EBADMSG, nfsc_state_read(path, &r));
	ASSERT_EQ(0, nfsc_state_write(path, &st));
	ASSERT_EQ(0, nfsc_sh("echo 'culled -5' >>'%s'", path));
	EXPECT_EQ(-EBADMSG, nfsc_state_read(path, &r));
	/* A number too big for its field is not cut to one that fits. */
	ASSERT_EQ(0, nfsc_state_write(path, &st));
	ASSERT_EQ(0, nfsc_sh("echo 'pid 4294967297' >>'%s'", path));
	EXPECT_EQ(-EBADMSG, nfsc_state_read(path, &r));
	ASSERT_EQ(0, nfsc_state_write(path, &st));
	ASSERT_EQ(0, nfsc_sh("echo 'queued 4294967296' >>'%s'", path));
	EXPECT_EQ(-EBADMSG, nfsc_state_read(path, &r));
	ASSERT_EQ(0, nfsc_state_write(path, &st));
	ASSERT_EQ(0, nfsc_sh("echo 'checksum 2' >>'%s'", path));
	EXPECT_EQ(-EBADMSG, nfsc_state_read(path, &r));

	ASSERT_EQ(0, nfsc_sh("echo something else >'%s'", path));
	EXPECT_EQ(-EBADMSG, nfsc_state_read(path, &r));

	/* Its owner's alone, even over a tmpfile left readable to others. */
	ASSERT_EQ(0, nfsc_sh("install -m 0644 /dev/null '%s.tmp'", path));
	ASSERT_EQ(0, nfsc_state_write(path, &st));
	EXPECT_EQ(0, nfsc_sh("test \"$(stat -c %%a '%s')\" = 600", path));

	/* The temporary file is never written through a symlink. */
	ASSERT_EQ(0, nfsc_sh("ln -sf /dev/null '%s.tmp'", path));
	EXPECT_EQ(-ELOOP, nfsc_state_write(path, &st));
	ASSERT_EQ(0, nfsc_sh("rm -f '%s.tmp'", path));
	unlink(path);
	EXPECT_EQ(-ENOENT, nfsc_state_read(path, &r));
	__lsan_do_leak_check();
}

/* nfsc_json_string()'s output for @in, into @out. */
static void json_of(const char *in, char *out, size_t len)
{
	FILE *f = tmpfile();
	int saved = dup(STDOUT_FILENO);
	size_t n;

	fflush(stdout);
	dup2(fileno(f), STDOUT_FILENO);
	nfsc_json_string(in);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(f);
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
}

TEST(json_strings_always_parse)
{
	char out[256];

	json_of("plain/path", out, sizeof(out));
	EXPECT_STREQ("\"plain/path\"", out);
	json_of("q\"b\\n\nt\x01", out, sizeof(out));
	EXPECT_STREQ("\"q\\\"b\\\\n\\u000at\\u0001\"", out);
	/* UTF-8 passes; bytes that are not UTF-8 become \u00XX. */
	json_of("caf\xc3\xa9 \xe2\x82\xac", out, sizeof(out));
	EXPECT_STREQ("\"caf\xc3\xa9 \xe2\x82\xac\"", out);
	json_of("latin\xe9 \xc3 \xed\xa0\x80 \xc0\xaf", out, sizeof(out));
	EXPECT_STREQ("\"latin\\u00e9 \\u00c3 \\u00ed\\u00a0\\u0080 \\u00c0\\u00af\"", out);
	__lsan_do_leak_check();
}

TEST_HARNESS_MAIN
