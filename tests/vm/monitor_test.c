// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: nfscache-helper monitor shows the kernel's events of a scripted
 * scenario, in order: a miss, its claim and fill; an object gone stale
 * and its refill; a cull; a fill that fails, with its reason. Only root
 * may listen.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

#include "../lib/nfsc_fill.h"
#include "kselftest_harness.h"

#define HELPER_LOG "/tmp/monitor_test-helper.log"
#define MONITOR_LOG "/tmp/monitor_test-events.log"
#define MONITOR_ERR "/tmp/monitor_test-monitor.err"

FIXTURE(monitor) {
	char dir[PATH_MAX];
	uint32_t id;
	pid_t helper, monitor;
};

/* nfscache-helper monitor @args into MONITOR_LOG; waits until it listens. */
static pid_t start_monitor(const char *args)
{
	char cmd[PATH_MAX];

	unlink(MONITOR_LOG);
	snprintf(cmd, sizeof(cmd), "%s/helper/nfscache-helper monitor %s >%s",
		 nfsc_env("NFSC_TOP"), args, MONITOR_LOG);
	return nfsc_spawn(cmd, MONITOR_ERR, "monitor: listening");
}

FIXTURE_SETUP(monitor)
{
	self->helper = 0;
	self->monitor = 0;
	ASSERT_EQ(0, nfsc_module_load());
	ASSERT_EQ(0, nfsc_mount_stack(NFSC_STACK));
	ASSERT_EQ(0, nfsc_sysfs_dir(NFSC_STACK, self->dir, sizeof(self->dir)));
	self->id = strtoul(strrchr(self->dir, '/') + 1, NULL, 10);
}

FIXTURE_TEARDOWN(monitor)
{
	if (self->helper > 0)
		stop_helper(self->helper);
	if (self->monitor > 0) {
		kill(self->monitor, SIGTERM);
		waitpid(self->monitor, NULL, 0);
	}
	nfsc_umount(NFSC_STACK);
}

/*
 * The events' lines, numbered, hold these patterns in this order (each
 * after the one before). 0, or the first pattern not found.
 */
static int in_order(const char *const *patterns, int n)
{
	int i, line = 0;
	char out[64];

	for (i = 0; i < n; i++) {
		if (nfsc_sh_out(out, sizeof(out),
				"grep -nE '%s' " MONITOR_LOG " | cut -d: -f1 |"
				" awk -v from=%d '$1 > from { print; exit }'",
				patterns[i], line) || !*out)
			return i + 1;
		line = atoi(out);
	}
	return 0;
}

TEST_F_TIMEOUT(monitor, events_of_a_scenario_in_order, 300)
{
	char lines[4096], obj[PATH_MAX];
	long long ok, culled, failed;
	const char *want[] = {
		"^miss mount [0-9]+: .*/mon-a: 1048576 bytes \\(fill [0-9]+\\)$",
		"^claim mount [0-9]+: .*/mon-a: 1048576 bytes",
		"^done mount [0-9]+: .*/mon-a: 1048576 bytes in [0-9.]+ s, [0-9.]+ MB/s",
		"^stale mount [0-9]+: object [0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]+$",
		"^miss mount [0-9]+: .*/mon-a: ",
		"^done mount [0-9]+: .*/mon-a: ",
		"^cull mount [0-9]+: object [0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]+, [0-9]+ bytes$",
		"^fail mount [0-9]+: .*/mon-big: the daemon reported a failed copy \\(File too large\\)",
	};

	self->monitor = start_monitor("");
	ASSERT_GT(self->monitor, 0);
	self->helper = nfsc_start_helper(HELPER_LOG, "");
	ASSERT_GT(self->helper, 0);

	/* A miss, its claim and its fill. */
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(0, make_file("mon-a", MiB, 100));
	ASSERT_EQ(0, stack_matches_export("mon-a"));
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 60));
	/* Rewritten on the server: stale at the next open, filled again. */
	ASSERT_EQ(0, make_file("mon-a", MiB, 101));
	ASSERT_EQ(0, stack_matches_export("mon-a"));
	ASSERT_EQ(ok + 2, nfsc_wait_stat(self->dir, "fills_ok", ok + 2, 60));
	/* Culled to nothing by the cull command. */
	culled = nfsc_stat(self->dir, "culled");
	ASSERT_EQ(0, nfsc_sh("%s/helper/nfscache-helper cull --max-size 1 >/dev/null 2>&1",
			     nfsc_env("NFSC_TOP")));
	ASSERT_LT(culled, nfsc_stat(self->dir, "culled"));
	ASSERT_EQ(-ENOENT, object_of("mon-a", obj, sizeof(obj)));
	/* A file the cap refuses: claimed, then failed. */
	ASSERT_EQ(0, stop_helper(self->helper));
	self->helper = nfsc_start_helper(HELPER_LOG, "--max-size 512K");
	ASSERT_GT(self->helper, 0);
	failed = nfsc_stat(self->dir, "fills_failed");
	ASSERT_EQ(0, make_file("mon-big", MiB, 102));
	ASSERT_EQ(0, stack_matches_export("mon-big"));
	ASSERT_EQ(failed + 1, nfsc_wait_stat(self->dir, "fills_failed", failed + 1, 60));

	usleep(200000);	/* the last line on its way */
	nfsc_sh_out(lines, sizeof(lines), "cat " MONITOR_LOG);
	EXPECT_EQ(0, in_order(want, sizeof(want) / sizeof(*want))) TH_LOG("%s", lines);

	/* --json: one object a line. */
	kill(self->monitor, SIGTERM);
	waitpid(self->monitor, NULL, 0);
	self->monitor = start_monitor("--json");
	ASSERT_GT(self->monitor, 0);
	ASSERT_EQ(0, make_file("mon-json", 1000, 103));
	ASSERT_EQ(0, stack_matches_export("mon-json"));
	ASSERT_EQ(ok + 3, nfsc_wait_stat(self->dir, "fills_ok", ok + 3, 60));
	usleep(200000);
	EXPECT_EQ(0, nfsc_sh("grep -q '^{\"event\": \"done\", \"mount\": %u, \"fill\": [0-9]*, "
			     "\"size\": 1000, \"path\": \".*/mon-json\", \"bytes\": 1000, "
			     "\"seconds\": [0-9.]*}$' " MONITOR_LOG, self->id));
	EXPECT_EQ(0, nfsc_sh("python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "
			     MONITOR_LOG));
}

TEST_F(monitor, only_root_may_listen)
{
	char out[512];

	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out),
				 "setpriv --reuid=65534 --regid=65534 --clear-groups "
				 "%s/helper/nfscache-helper monitor", nfsc_env("NFSC_TOP")));
	EXPECT_NE(NULL, strstr(out, "needs CAP_SYS_ADMIN")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
