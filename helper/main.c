// SPDX-License-Identifier: GPL-2.0
/* nfscache-helper: command line entry point. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <linux/nfs_cachefs.h>

#include "daemon.h"
#include "json.h"
#include "monitor.h"
#include "nl.h"
#include "prefetch.h"
#include "status.h"
#include "tunables.h"
#include "verify.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: nfscache-helper [OPTION]\n"
		"       nfscache-helper run [OPTION]...\n"
		"       nfscache-helper status [--json] [--state FILE]\n"
		"       nfscache-helper stats [--json]\n"
		"       nfscache-helper cull [OPTION]...\n"
		"       nfscache-helper monitor [--json]\n"
		"       nfscache-helper prefetch PATH...\n"
		"       nfscache-helper invalidate PATH...\n"
		"       nfscache-helper verify [--json]\n"
		"       nfscache-helper set [--mount ID] KEY=VALUE...\n"
		"       nfscache-helper get [--mount ID] [--json] [KEY...]\n"
		"Fill daemon and control tool for the nfs_cachefs module.\n"
		"\n"
		"  -V, --version  print the helper's version and netlink protocol,\n"
		"                 and the loaded module's protocol if it is loaded\n"
		"  -h, --help     print this help\n"
		"\n"
		"Commands:\n"
		"  run            the fill daemon (see run --help)\n"
		"  status         mounts, daemon, cache usage, fills in flight\n"
		"  stats [--json] every counter of every nfs_cachefs mount\n"
		"  cull           cull the cache to its limits now (see cull --help)\n"
		"  monitor        the kernel's events as they happen, one line each\n"
		"  prefetch       fill the cache with files or trees, and wait\n"
		"  invalidate     drop the cache objects of files or trees\n"
		"  verify         check objects against their checksums, drop bad ones\n"
		"  set, get       a mount's tunables, as in sysfs (see set --help)\n"
		"\n"
		"Exit status: 0 on success, 1 on failure, 2 on bad usage.\n");
}

static int print_version(void)
{
	struct nfsc_family_info info;
	int ret;

	printf("nfscache-helper %s\n", NFSC_VERSION);
	printf("netlink protocol: %d\n", NFS_CACHEFS_GENL_VERSION);

	ret = nfsc_nl_family_info(&info);
	if (ret == -ENOENT) {
		printf("kernel module: not loaded (no generic netlink family \"%s\")\n",
		       NFS_CACHEFS_GENL_NAME);
		return 0;
	}
	if (ret < 0) {
		fprintf(stderr, "nfscache-helper: resolving family \"%s\": %s\n",
			NFS_CACHEFS_GENL_NAME, strerror(-ret));
		return 1;
	}
	printf("kernel module: loaded, family \"%s\" id %d, protocol %u\n",
	       NFS_CACHEFS_GENL_NAME, info.id, info.version);
	if (info.version != NFS_CACHEFS_GENL_VERSION)
		printf("warning: kernel protocol %u differs from helper protocol %d\n",
		       info.version, NFS_CACHEFS_GENL_VERSION);
	return 0;
}

struct stats_out {
	bool json;
	unsigned int count;
};

static void print_mount_stats(const struct nfsc_mount_stats *m, void *arg)
{
	struct stats_out *out = arg;
	int i;

	if (!out->json) {
		printf("mount %u: %s (cache %s)\n", m->id, m->lowerdir,
		       m->cachedir);
		for (i = NFS_CACHEFS_STAT_HITS; i <= NFS_CACHEFS_STAT_MAX; i++)
			printf("  %-13s %" PRIu64 "\n", nfsc_stat_name(i),
			       m->stat[i]);
		out->count++;
		return;
	}
	/* Opened with the first mount, so that errors print no half object. */
	printf("%s\n    {\"id\": %u, \"lowerdir\": ",
	       out->count ? "," : "{\"mounts\": [", m->id);
	nfsc_json_string(m->lowerdir);
	printf(", \"cachedir\": ");
	nfsc_json_string(m->cachedir);
	printf(", \"stats\": {");
	for (i = NFS_CACHEFS_STAT_HITS; i <= NFS_CACHEFS_STAT_MAX; i++)
		printf("%s\"%s\": %" PRIu64, i == NFS_CACHEFS_STAT_HITS ? "" : ", ",
		       nfsc_stat_name(i), m->stat[i]);
	printf("}}");
	out->count++;
}

static int cmd_stats(int argc, char **argv)
{
	struct stats_out out = { 0 };
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (out.json || strcmp(argv[i], "--json")) {
			fprintf(stderr, "nfscache-helper: stats: unexpected argument \"%s\"\n",
				argv[i]);
			return EXIT_USAGE;
		}
		out.json = true;
	}
	ret = nfsc_nl_dump_stats(print_mount_stats, &out);
	if (ret == -ENOENT) {
		fprintf(stderr, "nfscache-helper: stats: the nfs_cachefs module is not loaded\n");
		return 1;
	}
	if (ret < 0) {
		fprintf(stderr, "nfscache-helper: stats: %s\n", strerror(-ret));
		return 1;
	}
	if (out.json)
		printf("%s]}\n", out.count ? "\n  " : "{\"mounts\": [");
	else if (!out.count)
		printf("no nfs_cachefs mounts\n");
	return 0;
}

/* Each takes its own argv, argv[0] being its name; returns the exit status. */
static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "run", cmd_run },
	{ "status", cmd_status },
	{ "stats", cmd_stats },
	{ "cull", cmd_cull },
	{ "prefetch", cmd_prefetch },
	{ "invalidate", cmd_invalidate },
	{ "verify", cmd_verify },
	{ "monitor", cmd_monitor },
	{ "set", cmd_set },
	{ "get", cmd_get },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	const struct command *cmd;
	static const struct option longopts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "+Vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'V':
			return print_version();
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}

	for (cmd = commands; optind < argc && cmd->name; cmd++)
		if (!strcmp(argv[optind], cmd->name))
			return cmd->fn(argc - optind, argv + optind);
	if (optind < argc)
		fprintf(stderr, "nfscache-helper: unknown command \"%s\"\n",
			argv[optind]);
	else
		fprintf(stderr, "nfscache-helper: no command given\n");
	usage(stderr);
	return EXIT_USAGE;
}
