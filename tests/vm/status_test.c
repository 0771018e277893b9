// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: nfscache-helper status, read back from --json (and its text):
 * the mount with its directories, tunables, counters and hit ratio; the
 * daemon running or not (a state file left by a killed daemon is not
 * believed, nor once another process has its pid); the cache's usage against the cap; a fill in flight with its
 * progress, speed and ETA, gone once it is done.
 */
#include <stdint.h>
#include <sys/wait.h>

#include "../lib/nfsc_fill.h"
#include "kselftest_harness.h"

#define HELPER_LOG "/tmp/status_test-helper.log"
#define STATE "/tmp/status_test-state"
#define JSON "/tmp/status_test.json"

FIXTURE(status) {
	char dir[PATH_MAX];
	uint32_t id;
	pid_t helper;
};

FIXTURE_SETUP(status)
{
	self->helper = 0;
	ASSERT_EQ(0, nfsc_fresh_stack(self->dir, sizeof(self->dir), &self->id));
}

FIXTURE_TEARDOWN(status)
{
	if (self->helper > 0)
		stop_helper(self->helper);
	EXPECT_EQ(0, nfsc_umount(NFSC_STACK));
	nfsc_sh("rm -f %s/st-* " STATE " " JSON, nfsc_env("NFSC_EXPORT"));
}

/* status --json @args into JSON; its exit status. */
static int status_json(const char *args)
{
	return nfsc_sh("%s/helper/nfscache-helper status --json %s >" JSON,
		       nfsc_env("NFSC_TOP"), args);
}

/* The Python expression @expr, over d (the JSON), is true. */
static int json_holds(const char *expr)
{
	return nfsc_sh("python3 -c 'import json,sys; d=json.load(open(\"" JSON "\"));"
		       " sys.exit(0 if (%s) else 1)'", expr);
}

TEST_F_TIMEOUT(status, mounts_and_no_daemon, 120)
{
	char expr[1024], out[4096];

	ASSERT_EQ(0, status_json("--state " STATE));
	snprintf(expr, sizeof(expr),
		 "[m for m in d[\"mounts\"] if m[\"id\"] == %u and"
		 " m[\"lowerdir\"] == \"%s\" and m[\"cachedir\"] == \"%s\" and"
		 " m[\"volume\"] != \"\" and m[\"tunables\"][\"enabled\"] == \"1\" and"
		 " m[\"tunables\"][\"fill_timeout_ms\"] == \"60000\" and"
		 " len(m[\"tunables\"]) == 7 and \"hits\" in m[\"stats\"] and"
		 " \"culled\" in m[\"stats\"]] and d[\"daemon\"] == {\"running\": False}",
		 self->id, nfsc_env("NFSC_NFS"), nfsc_env("NFSC_CACHEDIR"));
	EXPECT_EQ(0, json_holds(expr)) TH_LOG("%s", expr);

	/* An open with no daemon: a miss, hit ratio 0. */
	ASSERT_EQ(0, make_file("st-small", 4096, 300));
	ASSERT_EQ(0, stack_matches_export("st-small"));
	ASSERT_EQ(0, status_json("--state " STATE));
	snprintf(expr, sizeof(expr),
		 "[m for m in d[\"mounts\"] if m[\"id\"] == %u and"
		 " m[\"stats\"][\"misses\"] >= 1 and m[\"hit_ratio\"] == 0]", self->id);
	EXPECT_EQ(0, json_holds(expr));

	EXPECT_EQ(0, nfsc_sh_out(out, sizeof(out), "%s/helper/nfscache-helper status --state " STATE,
				 nfsc_env("NFSC_TOP")));
	EXPECT_NE(NULL, strstr(out, "daemon: not running (no " STATE ")")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "hit ratio 0.0%")) TH_LOG("%s", out);
	EXPECT_EQ(2, nfsc_sh("%s/helper/nfscache-helper status --bogus 2>/dev/null",
			     nfsc_env("NFSC_TOP")));
}

TEST_F_TIMEOUT(status, daemon_usage_and_a_fill_in_flight, 400)
{
	char out[8192];
	long long ok;
	int i, seen = 0;
	pid_t reader, sleeper;

	/* A small pipe makes the copy slow enough to be seen in flight. */
	self->helper = nfsc_start_helper(HELPER_LOG, "--max-size 1G --checksum --state " STATE
					 " --pipe-size 65536 --splice-threshold 1");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, make_file("st-big", 64 * MiB, 301));

	/* A reader opens it: a miss, and the fill starts. */
	ok = nfsc_stat(self->dir, "fills_ok");
	reader = fork();
	ASSERT_LE(0, reader);
	if (!reader)
		_exit(stack_matches_export("st-big") ? 1 : 0);
	/* Seen half way: its bytes, its speed, a bar. */
	for (i = 0; i < 600 && !seen; i++) {
		usleep(100000);
		if (status_json("--state " STATE))
			continue;
		seen = !json_holds("d[\"daemon\"][\"running\"] and"
				   " [f for f in d[\"daemon\"][\"fills\"] if"
				   " f[\"path\"].endswith(\"/st-big\") and f[\"size\"] == 64 << 20 and"
				   " 0 < f[\"bytes\"] < f[\"size\"] and f[\"mb_s\"] > 0 and"
				   " f[\"eta_seconds\"] is not None]");
	}
	EXPECT_TRUE(seen) TH_LOG("never saw the fill in flight");
	if (seen) {
		EXPECT_EQ(0, nfsc_sh_out(out, sizeof(out),
					 "%s/helper/nfscache-helper status --state " STATE,
					 nfsc_env("NFSC_TOP")));
		EXPECT_EQ(0, nfsc_sh("echo '%s' | grep -qE '^    \\[[#.]{20}\\] +[0-9]+%% "
				     "[0-9.]+ [KMG]?i?B / 64.0 MiB, [0-9.]+ MB/s'", out))
			TH_LOG("%s", out);
	}
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 300));
	ASSERT_EQ(reader, waitpid(reader, &i, 0));
	EXPECT_TRUE(WIFEXITED(i) && WEXITSTATUS(i) == 0) TH_LOG("status %#x", i);

	/* Done: no fill in flight, the object counted against the cap. */
	ASSERT_EQ(0, stack_matches_export("st-big"));	/* a hit */
	for (i = 0; i < 50; i++) {
		usleep(100000);
		if (!status_json("--state " STATE) &&
		    !json_holds("d[\"daemon\"][\"fills\"] == [] and d[\"daemon\"][\"fills_ok\"] >= 1"))
			break;
	}
	EXPECT_EQ(0, json_holds("d[\"daemon\"][\"running\"] and d[\"daemon\"][\"checksum\"] and"
				" d[\"daemon\"][\"max_size\"] == 1 << 30 and"
				" d[\"daemon\"][\"cache_objects\"] == 1 and"
				" d[\"daemon\"][\"cache_bytes\"] >= 64 << 20 and"
				" d[\"daemon\"][\"fills\"] == [] and d[\"daemon\"][\"fills_ok\"] == 1 and"
				" d[\"daemon\"][\"fills_unconfirmed\"] == 0 and"
				" d[\"daemon\"][\"state_age\"] < 10"));
	EXPECT_EQ(0, json_holds("[m for m in d[\"mounts\"] if m[\"stats\"][\"hits\"] >= 1 and"
				" 0 < m[\"hit_ratio\"] < 1]"));
	EXPECT_EQ(0, nfsc_sh_out(out, sizeof(out), "%s/helper/nfscache-helper status --state " STATE,
				 nfsc_env("NFSC_TOP")));
	EXPECT_NE(NULL, strstr(out, "object(s) of a 1.0 GiB cap")) TH_LOG("%s", out);

	/* The state names the files being filled: others see mounts alone. */
	EXPECT_EQ(0, nfsc_sh("test \"$(stat -c %%a " STATE ")\" = 600"));
	EXPECT_EQ(0, nfsc_sh_out(out, sizeof(out),
				 "setpriv --reuid=65534 --regid=65534 --clear-groups "
				 "%s/helper/nfscache-helper status --state " STATE " 2>&1",
				 nfsc_env("NFSC_TOP")));
	EXPECT_NE(NULL, strstr(out, "mount ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, STATE ": Permission denied)")) TH_LOG("%s", out);

	/* Killed: the state file it leaves is not believed. */
	kill(self->helper, SIGKILL);
	waitpid(self->helper, NULL, 0);
	self->helper = 0;
	ASSERT_EQ(0, access(STATE, F_OK));
	ASSERT_EQ(0, status_json("--state " STATE));
	EXPECT_EQ(0, json_holds("d[\"daemon\"] == {\"running\": False}"));
	EXPECT_EQ(0, nfsc_sh_out(out, sizeof(out), "%s/helper/nfscache-helper status --state " STATE,
				 nfsc_env("NFSC_TOP")));
	EXPECT_NE(NULL, strstr(out, "is from a daemon that is gone")) TH_LOG("%s", out);

	/* Its pid taken since by a process started after it: not believed. */
	sleeper = fork();
	ASSERT_LE(0, sleeper);
	if (!sleeper) {
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, nfsc_sh("sed -i -e 's/^pid .*/pid %d/' -e 's/^started .*/started %lld/' "
			     STATE, (int)sleeper, (long long)time(NULL) - 3600));
	ASSERT_EQ(0, status_json("--state " STATE));
	EXPECT_EQ(0, json_holds("d[\"daemon\"] == {\"running\": False}"));
	/* ...while one started before it is. */
	ASSERT_EQ(0, nfsc_sh("sed -i -e 's/^started .*/started %lld/' " STATE,
			     (long long)time(NULL) + 5));
	ASSERT_EQ(0, status_json("--state " STATE));
	EXPECT_EQ(0, json_holds("d[\"daemon\"][\"running\"] == True"));
	kill(sleeper, SIGKILL);
	waitpid(sleeper, NULL, 0);

	/* Stopped cleanly: it takes its state file away. */
	self->helper = nfsc_start_helper(HELPER_LOG, "--state " STATE);
	ASSERT_GT(self->helper, 0);
	for (i = 0; i < 100 && nfsc_sh("grep -q '^pid %d$' " STATE, self->helper); i++)
		usleep(100000);
	EXPECT_EQ(0, nfsc_sh("grep -q '^pid %d$' " STATE, self->helper));
	EXPECT_EQ(0, stop_helper(self->helper));
	self->helper = 0;
	EXPECT_NE(0, access(STATE, F_OK));
}

/*
 * A state file that cannot be written (a full file system) is gone, so
 * status says the daemon is not running, and is written again once there
 * is room: the daemon used to stop publishing for good.
 */
#define SMALL "/tmp/status_test-small"
TEST_F_TIMEOUT(status, a_state_file_is_written_again_once_it_can_be, 120)
{
	int i, running = 0;

	ASSERT_EQ(0, nfsc_sh("mkdir -p " SMALL " && mount -t tmpfs -o size=64k tmpfs " SMALL
			     " && ! dd if=/dev/zero of=" SMALL "/full bs=4k 2>/dev/null"));
	self->helper = nfsc_start_helper(HELPER_LOG, "--state " SMALL "/state");
	EXPECT_GT(self->helper, 0);
	for (i = 0; i < 100 && nfsc_sh("grep -q 'state file " SMALL "/state: No space left"
				       " on device' " HELPER_LOG); i++)
		usleep(100000);
	EXPECT_GT(100, i);
	EXPECT_EQ(0, status_json("--state " SMALL "/state"));
	EXPECT_EQ(0, json_holds("d[\"daemon\"] == {\"running\": False}"));
	EXPECT_EQ(0, nfsc_sh("rm " SMALL "/full"));
	/* Idle, the daemon publishes every 5 s (CULL_CHECK_MS). */
	for (i = 0; i < 150 && !running; i++) {
		usleep(100000);
		running = !status_json("--state " SMALL "/state") &&
			  !json_holds("d[\"daemon\"][\"running\"]");
	}
	EXPECT_TRUE(running);
	EXPECT_EQ(0, nfsc_sh("grep -q 'state file " SMALL "/state: written again' " HELPER_LOG));
	if (self->helper > 0)
		EXPECT_EQ(0, stop_helper(self->helper));
	self->helper = 0;
	nfsc_sh("umount " SMALL "; rmdir " SMALL);
}

TEST_HARNESS_MAIN
