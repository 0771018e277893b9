// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: nfscache-helper's command line. Runs on the build machine, where
 * the module is never loaded, so the helper must report it absent. The
 * netlink path runs under valgrind when it is installed.
 */
#include <linux/nfs_cachefs.h>

#include "../lib/nfsc_test.h"
#include "kselftest_harness.h"

#define HELPER "helper/nfscache-helper"
#define VALGRIND "valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 "

TEST(help_exits_zero)
{
	char out[4096];

	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), HELPER " --help"));
	EXPECT_NE(NULL, strstr(out, "Usage: nfscache-helper"));
	EXPECT_NE(NULL, strstr(out, "--version"));
	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), HELPER " -h"));
}

TEST(bad_usage_exits_two)
{
	char out[4096];

	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER));
	EXPECT_NE(NULL, strstr(out, "no command given"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " --bogus"));
	EXPECT_NE(NULL, strstr(out, "Usage:"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " frobnicate"));
	EXPECT_NE(NULL, strstr(out, "unknown command \"frobnicate\""));
}

TEST(version_without_module)
{
	char out[4096], want[64];
	const char *vg = nfsc_sh("command -v valgrind >/dev/null") ? "" : VALGRIND;

	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), "%s" HELPER " --version", vg))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "nfscache-helper " NFSC_VERSION "\n"));
	snprintf(want, sizeof(want), "netlink protocol: %d\n",
		 NFS_CACHEFS_GENL_VERSION);
	EXPECT_NE(NULL, strstr(out, want));
	EXPECT_NE(NULL, strstr(out, "kernel module: not loaded"));
}

TEST(stats_without_module)
{
	char out[4096];

	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), HELPER " stats"));
	EXPECT_NE(NULL, strstr(out, "module is not loaded"));
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), HELPER " stats --json"));
	/* No half-written JSON on stdout when it fails. */
	EXPECT_EQ(NULL, strstr(out, "{"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " stats --bogus"));
	EXPECT_NE(NULL, strstr(out, "unexpected argument"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " stats --json extra"));
	EXPECT_NE(NULL, strstr(out, "unexpected argument \"extra\"")) TH_LOG("%s", out);
}

/* set and get: options anywhere, --mount's id digits only. */
TEST(tunables_parse_before_the_module)
{
	char out[4096];

	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), HELPER " get min_size --json"));
	EXPECT_NE(NULL, strstr(out, "module is not loaded")) TH_LOG("%s", out);
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " get min_size --bogus"));
	EXPECT_NE(NULL, strstr(out, "Usage:")) TH_LOG("%s", out);
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " set enabled=1 --mount x"));
	EXPECT_NE(NULL, strstr(out, "--mount: invalid id \"x\"")) TH_LOG("%s", out);
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), HELPER " get --mount 1"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " get --mount ' 1'"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " get --mount +1"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out),
				 HELPER " get --mount -18446744073709551615"));
	EXPECT_NE(NULL, strstr(out, "invalid id")) TH_LOG("%s", out);
}

TEST(run_without_module)
{
	char out[4096];
	const char *vg = nfsc_sh("command -v valgrind >/dev/null") ? "" : VALGRIND;

	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), "%s" HELPER " run", vg))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "run: the nfs_cachefs module is not loaded"));
}

TEST(run_refuses_bad_options)
{
	char out[4096];

	EXPECT_EQ(0, nfsc_sh_out(out, sizeof(out), HELPER " run --help"));
	EXPECT_NE(NULL, strstr(out, "--max-inflight"));
	EXPECT_NE(NULL, strstr(out, "--ranges N"));
	EXPECT_NE(NULL, strstr(out, "--no-direct"));
	EXPECT_NE(NULL, strstr(out, "--max-size"));
	EXPECT_NE(NULL, strstr(out, "--cull-stop"));
	EXPECT_NE(NULL, strstr(out, "--checksum"));
	EXPECT_NE(NULL, strstr(out, "(--no-checksum: the default)"));
	EXPECT_NE(NULL, strstr(out, "(--splice:"));
	EXPECT_NE(NULL, strstr(out, "--state FILE"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --max-inflight 0"));
	EXPECT_NE(NULL, strstr(out, "--max-inflight: invalid value \"0\""));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --max-inflight 5000"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --ranges 0"));
	EXPECT_NE(NULL, strstr(out, "--ranges: invalid value \"0\" (1..8)"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --ranges 9"));
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), HELPER " run --ranges 8"));
	EXPECT_EQ(NULL, strstr(out, "invalid value"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --splice-threshold -1"));
	/* Digits only: no sign, no blanks. */
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --max-inflight +5"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --max-inflight ' 5'"));
	EXPECT_NE(NULL, strstr(out, "--max-inflight: invalid value \" 5\"")) TH_LOG("%s", out);
	/* 0 is valid: no file takes sendfile(). */
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), HELPER " run --splice-threshold 0"));
	EXPECT_EQ(NULL, strstr(out, "invalid value"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --pipe-size 12x"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --big-pipe-size 0"));
	EXPECT_NE(NULL, strstr(out, "--big-pipe-size: invalid value \"0\" (4096..1073741824)"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --pipe-size 4095"));
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), HELPER " run --pipe-size 4K"));
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), HELPER " run --pipe-size 64K --big-pipe-size 8M"));
	EXPECT_EQ(NULL, strstr(out, "invalid value"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --max-size 1T"));
	EXPECT_NE(NULL, strstr(out, "--max-size: invalid value \"1T\""));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --cull-run 100"));
	/* stop < start < run, or nothing runs. */
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --cull-start 10"));
	EXPECT_NE(NULL, strstr(out, "--cull-stop < --cull-start < --cull-run (3, 10, 10 given)"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --cull-stop 7"));
	/* Valid: the run gets as far as the missing module. */
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out),
				 HELPER " run --max-size 10G --cull-run 20 --cull-start 15 --cull-stop 5"));
	EXPECT_EQ(NULL, strstr(out, "invalid value"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --state ''"));
	EXPECT_NE(NULL, strstr(out, "--state: empty path"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run --bogus"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " run extra"));
	EXPECT_NE(NULL, strstr(out, "unexpected argument \"extra\""));
}

TEST(status_and_verify_without_module)
{
	char out[4096];
	const char *vg = nfsc_sh("command -v valgrind >/dev/null") ? "" : VALGRIND;

	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), "%s" HELPER " status --json", vg))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "status: the nfs_cachefs module is not loaded"));
	EXPECT_EQ(NULL, strstr(out, "{"));
	EXPECT_EQ(0, nfsc_sh_out(out, sizeof(out), HELPER " status --help"));
	EXPECT_NE(NULL, strstr(out, "--state FILE"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " status --bogus"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " status extra"));
	EXPECT_NE(NULL, strstr(out, "unexpected argument \"extra\""));

	/* verify: root's (this machine's tests run as root), then the module. */
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), "%s" HELPER " verify", vg))
		TH_LOG("%s", out);
	EXPECT_TRUE(strstr(out, "verify: the nfs_cachefs module is not loaded") ||
		    strstr(out, "verify: needs CAP_SYS_ADMIN")) TH_LOG("%s", out);
	EXPECT_EQ(0, nfsc_sh_out(out, sizeof(out), HELPER " verify --help"));
	EXPECT_NE(NULL, strstr(out, "Exit status: 0 when every checked object is good"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), HELPER " verify --bogus"));
	EXPECT_NE(NULL, strstr(out, "unexpected argument \"--bogus\""));
}

/* run --config FILE: keys are the long options; an unknown one is named. */
static int run_with_config(char *out, size_t len, const char *config,
			   const char *args)
{
	const char *vg = nfsc_sh("command -v valgrind >/dev/null") ? "" : VALGRIND;
	FILE *f = fopen("build/helper_cli_test.conf", "w");

	if (!f || fputs(config, f) < 0 || fclose(f))
		return -1;
	return nfsc_sh_out(out, len, "%s" HELPER " run --config build/helper_cli_test.conf %s",
			   vg, args);
}

TEST(run_reads_a_config_file)
{
	char out[4096];

	/* Good keys and values: run gets as far as the missing module. */
	EXPECT_EQ(1, run_with_config(out, sizeof(out),
				     "# the cache\nmax-size = 10G\n\ndirect\nno-splice = no\n"
				     "max-inflight=4  # comment\n", ""));
	EXPECT_NE(NULL, strstr(out, "module is not loaded"));
	EXPECT_EQ(2, run_with_config(out, sizeof(out), "max-size = 1G\nbogus = 1\n", ""));
	EXPECT_NE(NULL, strstr(out, "helper_cli_test.conf:2: unknown key \"bogus\""));
	EXPECT_EQ(2, run_with_config(out, sizeof(out), "help\n", ""));
	EXPECT_EQ(2, run_with_config(out, sizeof(out), "max-size\n", ""));
	EXPECT_NE(NULL, strstr(out, ":1: max-size needs a value"));
	EXPECT_EQ(2, run_with_config(out, sizeof(out), "direct = maybe\n", ""));
	EXPECT_NE(NULL, strstr(out, ":1: direct takes yes or no, not \"maybe\""));
	EXPECT_EQ(2, run_with_config(out, sizeof(out), "max-inflight = 0\n", ""));
	EXPECT_NE(NULL, strstr(out, "--max-inflight: invalid value \"0\""));
	/* Every flag the file sets has its opposite on the command line. */
	EXPECT_EQ(1, run_with_config(out, sizeof(out), "checksum\nno-splice\nno-direct\n",
				     "--no-checksum --splice --direct"));
	EXPECT_NE(NULL, strstr(out, "module is not loaded"));
	/* The command line wins: together the watermarks are valid. */
	EXPECT_EQ(1, run_with_config(out, sizeof(out), "cull-start = 20\n", "--cull-run 30"));
	EXPECT_EQ(NULL, strstr(out, "watermarks"));
	EXPECT_EQ(2, run_with_config(out, sizeof(out), "cull-start = 20\n", ""));
	EXPECT_NE(NULL, strstr(out, "(3, 20, 10 given)"));
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), HELPER " run --config /nonexistent.conf"));
	EXPECT_NE(NULL, strstr(out, "/nonexistent.conf: No such file or directory"));
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), HELPER " run --config /"));
	EXPECT_NE(NULL, strstr(out, "/: Is a directory")) TH_LOG("%s", out);
	/* --help reads no file. */
	EXPECT_EQ(0, nfsc_sh_out(out, sizeof(out), HELPER " run --config / --help"));
	EXPECT_NE(NULL, strstr(out, "--max-inflight")) TH_LOG("%s", out);
	/* The file getopt_long() takes --config's abbreviations for. */
	ASSERT_EQ(2, run_with_config(out, sizeof(out), "bogus = 1\n", ""));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out),
				 HELPER " run --conf build/helper_cli_test.conf"));
	EXPECT_NE(NULL, strstr(out, "unknown key \"bogus\"")) TH_LOG("%s", out);
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out),
				 HELPER " run --confi=build/helper_cli_test.conf"));
	EXPECT_NE(NULL, strstr(out, "unknown key \"bogus\"")) TH_LOG("%s", out);
	unlink("build/helper_cli_test.conf");
}

TEST_HARNESS_MAIN
