// SPDX-License-Identifier: GPL-2.0
/* nfscache-helper: command line entry point. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <linux/nfs_cachefs.h>

#include "nl.h"

#define EXIT_USAGE 2

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: nfscache-helper [OPTION]\n"
		"Fill daemon and control tool for the nfs_cachefs module.\n"
		"\n"
		"  -V, --version  print the helper's version and netlink protocol,\n"
		"                 and the loaded module's protocol if it is loaded\n"
		"  -h, --help     print this help\n"
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

int main(int argc, char **argv)
{
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

	if (optind < argc)
		fprintf(stderr, "nfscache-helper: unknown command \"%s\"\n",
			argv[optind]);
	else
		fprintf(stderr, "nfscache-helper: no command given\n");
	usage(stderr);
	return EXIT_USAGE;
}
