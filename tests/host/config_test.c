// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: the configuration file of `nfscache-helper run` (helper/
 * config.c), linked directly so that the arguments a file becomes can be
 * seen: values, flags on and off, and "key = no" as the flag's opposite
 * (no-key, or key for no-key) where there is one. Built with ASan/UBSan;
 * each test ends with a leak check.
 */
#include <sanitizer/lsan_interface.h>

#include "../lib/nfsc_test.h"
#include "../../helper/config.h"
#include "kselftest_harness.h"

#define CONF "build/config_test.conf"

static const struct option opts[] = {
	{ "max-inflight", required_argument, NULL, 1 },
	{ "splice", no_argument, NULL, 2 },
	{ "no-splice", no_argument, NULL, 2 },
	{ "direct", no_argument, NULL, 3 },
	{ "no-direct", no_argument, NULL, 4 },
	{ "checksum", no_argument, NULL, 5 },
	{ "no-checksum", no_argument, NULL, 5 },
	{ "verbose", no_argument, NULL, 6 },
	{ NULL, 0, NULL, 0 },
};

/* Load @text as the file; the arguments joined by spaces into @out. */
static int load(const char *text, char *out, size_t len)
{
	struct nfsc_config cfg;
	FILE *f = fopen(CONF, "we");
	size_t used = 0;
	int ret, i;

	if (!f || fputs(text, f) < 0 || fclose(f))
		return -1;
	ret = nfsc_config_load(&cfg, CONF, true, opts);
	out[0] = '\0';
	if (ret)
		return ret;
	for (i = 0; i < cfg.n; i++)
		used += snprintf(out + used, len - used, "%s%s", i ? " " : "",
				 cfg.args[i]);
	nfsc_config_free(&cfg);
	return 0;
}

TEST(values_and_flags_become_arguments)
{
	char out[256];

	ASSERT_EQ(0, load("max-inflight = 4 # comment\ndirect\nchecksum = yes\n",
			  out, sizeof(out)));
	EXPECT_STREQ("--max-inflight=4 --direct --checksum", out);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

TEST(no_gives_the_opposite_flag)
{
	char out[256];

	/* direct is on by default: "no" must reach the daemon as --no-direct. */
	ASSERT_EQ(0, load("direct = no\n", out, sizeof(out)));
	EXPECT_STREQ("--no-direct", out);
	/* Off by default, said anyway: a later --checksum still wins. */
	ASSERT_EQ(0, load("checksum = no\nno-splice = false\nno-direct = 0\n",
			  out, sizeof(out)));
	EXPECT_STREQ("--no-checksum --splice --direct", out);
	/* A flag without an opposite: "no" is its default, nothing to add. */
	ASSERT_EQ(0, load("verbose = no\n", out, sizeof(out)));
	EXPECT_STREQ("", out);
	ASSERT_EQ(0, load("verbose = yes\n", out, sizeof(out)));
	EXPECT_STREQ("--verbose", out);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

TEST(bad_lines_are_refused)
{
	char out[256];

	EXPECT_EQ(1, load("direct = maybe\n", out, sizeof(out)));
	EXPECT_EQ(1, load("bogus\n", out, sizeof(out)));
	EXPECT_EQ(1, load("max-inflight\n", out, sizeof(out)));
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

TEST_HARNESS_MAIN
