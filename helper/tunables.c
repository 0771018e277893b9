// SPDX-License-Identifier: GPL-2.0
/*
 * nfscache-helper set / get: a mount's tunables over netlink (SET, GET),
 * the same ones, parsed and checked by the same kernel code, as the files
 * of /sys/fs/nfs_cachefs/<id>/.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "json.h"
#include "log.h"
#include "nl.h"
#include "tunables.h"

#define TUNABLES "enabled", "min_size", "max_size", "revalidate", \
	"fill_timeout_ms", "max_pending", "max_held"

const char *const nfsc_tunable_keys[] = { TUNABLES, NULL };

/* What `get` with no KEY shows: every tunable, then the mount's identity. */
static const char *const all_keys[] = {
	TUNABLES, "lowerdir", "cachedir", "dev", NULL,
};

struct mount_pick {
	unsigned int count;
	uint32_t id;
};

static void count_mount(const struct nfsc_mount_stats *m, void *arg)
{
	struct mount_pick *p = arg;

	p->count++;
	p->id = m->id;
}

/* --mount ID, or the one mount there is. 0, or an exit status. */
static int pick_mount(const char *cmd, const char *arg, uint32_t *id)
{
	struct mount_pick p = { 0 };
	char *end;
	int ret;

	if (arg) {
		unsigned long v;

		errno = 0;
		v = strtoul(arg, &end, 10);
		/* Digits only: strtoul() takes a sign and leading blanks. */
		if (!isdigit((unsigned char)*arg) || *end || errno || v == 0 ||
		    v > UINT32_MAX) {
			nfsc_say("%s: --mount: invalid id \"%s\"", cmd, arg);
			return EXIT_USAGE;
		}
		*id = v;
		return 0;
	}
	ret = nfsc_nl_dump_stats(count_mount, &p);
	if (ret) {
		nfsc_say("%s: %s", cmd, ret == -ENOENT ?
			 "the nfs_cachefs module is not loaded" : strerror(-ret));
		return 1;
	}
	if (p.count != 1) {
		nfsc_say("%s: %s", cmd, p.count ?
			 "several nfs_cachefs mounts: say which with --mount ID" :
			 "no nfs_cachefs mounts");
		return 1;
	}
	*id = p.id;
	return 0;
}

static struct nfsc_chan *open_chan(const char *cmd)
{
	struct nfsc_chan *ch;
	int ret;

	ch = nfsc_chan_open(NULL, NULL, &ret);
	if (!ch)
		nfsc_say("%s: %s", cmd, ret == -ENOENT ?
			 "the nfs_cachefs module is not loaded" : strerror(-ret));
	return ch;
}

static void say_refused(struct nfsc_chan *ch, const char *cmd, const char *what,
			int ret)
{
	nfsc_say("%s: %s: %s%s%s", cmd, what, strerror(-ret),
		 *nfsc_chan_why(ch) ? ": " : "", nfsc_chan_why(ch));
}

static void tunables_usage(FILE *out)
{
	fprintf(out,
		"Usage: nfscache-helper set [--mount ID] KEY=VALUE...\n"
		"       nfscache-helper get [--mount ID] [--json] [KEY...]\n"
		"A mount's tunables, as in /sys/fs/nfs_cachefs/<id>/ (see\n"
		"nfs_cachefs(5)); set needs root. Without --mount, the one mount\n"
		"there is. get with no KEY shows them all.\n");
}

/* Options common to set and get; *@first_key: argv index of the first KEY. */
static int parse(int argc, char **argv, const char **mount, bool *json,
		 int *first_key)
{
	static const struct option longopts[] = {
		{ "mount", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 0;	/* a new parse: main() stopped at the command */
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			*mount = optarg;
			break;
		case 'j':
			if (!json) {
				tunables_usage(stderr);
				return EXIT_USAGE;
			}
			*json = true;
			break;
		case 'h':
			tunables_usage(stdout);
			return -1;
		default:
			tunables_usage(stderr);
			return EXIT_USAGE;
		}
	}
	*first_key = optind;
	return 0;
}

int cmd_set(int argc, char **argv)
{
	const char *mount = NULL;
	struct nfsc_chan *ch;
	int i, first, ret, status = 0;
	uint32_t id;

	ret = parse(argc, argv, &mount, NULL, &first);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (first == argc) {
		nfsc_say("set: no KEY=VALUE given");
		return EXIT_USAGE;
	}
	for (i = first; i < argc; i++) {
		if (!strchr(argv[i], '=') || argv[i][0] == '=') {
			nfsc_say("set: \"%s\" is not KEY=VALUE", argv[i]);
			return EXIT_USAGE;
		}
	}
	ret = pick_mount("set", mount, &id);
	if (ret)
		return ret;
	ch = open_chan("set");
	if (!ch)
		return 1;
	for (i = first; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		*eq = '\0';
		ret = nfsc_chan_set(ch, id, argv[i], eq + 1);
		*eq = '=';
		if (ret) {
			say_refused(ch, "set", argv[i], ret);
			status = 1;
		}
	}
	nfsc_chan_close(ch);
	return status;
}

int cmd_get(int argc, char **argv)
{
	char value[NFS_CACHEFS_PATH_MAX];
	const char *mount = NULL;
	const char *const *keys;
	struct nfsc_chan *ch;
	int i, n, first, ret, shown = 0, status = 0;
	bool json = false;
	uint32_t id;

	ret = parse(argc, argv, &mount, &json, &first);
	if (ret)
		return ret < 0 ? 0 : ret;
	ret = pick_mount("get", mount, &id);
	if (ret)
		return ret;
	ch = open_chan("get");
	if (!ch)
		return 1;
	keys = first < argc ? (const char *const *)argv + first : all_keys;
	n = first < argc ? argc - first : (int)(sizeof(all_keys) / sizeof(*all_keys)) - 1;
	if (json)
		printf("{\"mount\": %" PRIu32 ", \"tunables\": {", id);
	for (i = 0; i < n; i++) {
		ret = nfsc_chan_get(ch, id, keys[i], value, sizeof(value));
		if (ret) {
			say_refused(ch, "get", keys[i], ret);
			status = 1;
			continue;
		}
		if (!json) {
			printf("%s=%s\n", keys[i], value);
			continue;
		}
		printf("%s", shown++ ? ", " : "");
		nfsc_json_string(keys[i]);
		printf(": ");
		nfsc_json_string(value);
	}
	if (json)
		printf("}}\n");
	nfsc_chan_close(ch);
	return status;
}
