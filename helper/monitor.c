// SPDX-License-Identifier: GPL-2.0
/*
 * nfscache-helper monitor: the kernel's events, one line each, as they
 * happen (like ip monitor): misses, claims, fills done (with MB/s) or
 * failed (with the reason), stale objects, culls. Root: the monitor group
 * tells which files are read.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "json.h"
#include "log.h"
#include "monitor.h"
#include "nl.h"

static const char *const event_names[NFS_CACHEFS_EVENT_MAX + 1] = {
	[NFS_CACHEFS_EVENT_MISS]	= "miss",
	[NFS_CACHEFS_EVENT_CLAIM]	= "claim",
	[NFS_CACHEFS_EVENT_DONE]	= "done",
	[NFS_CACHEFS_EVENT_FAIL]	= "fail",
	[NFS_CACHEFS_EVENT_STALE]	= "stale",
	[NFS_CACHEFS_EVENT_CULL]	= "cull",
};

static const char *event_name(uint32_t type)
{
	return type <= NFS_CACHEFS_EVENT_MAX && event_names[type] ?
	       event_names[type] : "unknown";
}

static void print_text(const struct nfsc_event *ev)
{
	double secs = ev->duration_ns / 1e9;

	printf("%s mount %" PRIu32 ": ", event_name(ev->type), ev->mount_id);
	switch (ev->type) {
	case NFS_CACHEFS_EVENT_MISS:
	case NFS_CACHEFS_EVENT_CLAIM:
		printf("%s: %" PRIu64 " bytes (fill %" PRIu64 ")", ev->path,
		       ev->size, ev->request_id);
		break;
	case NFS_CACHEFS_EVENT_DONE:
		printf("%s: %" PRIu64 " bytes in %.3f s, %.1f MB/s (fill %" PRIu64 ")",
		       ev->path, ev->bytes, secs,
		       secs > 0 ? ev->bytes / secs / 1e6 : 0.0, ev->request_id);
		break;
	case NFS_CACHEFS_EVENT_FAIL:
		printf("%s: %s (%s) (fill %" PRIu64 ")", ev->path, ev->reason,
		       strerror(-ev->status), ev->request_id);
		break;
	case NFS_CACHEFS_EVENT_STALE:
		printf("object %s", ev->object);
		break;
	case NFS_CACHEFS_EVENT_CULL:
		printf("object %s, %" PRIu64 " bytes", ev->object, ev->bytes);
		break;
	}
	putchar('\n');
}

static void print_json(const struct nfsc_event *ev)
{
	printf("{\"event\": \"%s\", \"mount\": %" PRIu32, event_name(ev->type),
	       ev->mount_id);
	if (ev->request_id)
		printf(", \"fill\": %" PRIu64 ", \"size\": %" PRIu64,
		       ev->request_id, ev->size);
	if (ev->path[0]) {
		printf(", \"path\": ");
		nfsc_json_string(ev->path);
	}
	if (ev->object[0]) {
		printf(", \"object\": ");
		nfsc_json_string(ev->object);
	}
	if (ev->type == NFS_CACHEFS_EVENT_DONE || ev->type == NFS_CACHEFS_EVENT_CULL)
		printf(", \"bytes\": %" PRIu64, ev->bytes);
	if (ev->type == NFS_CACHEFS_EVENT_DONE)
		printf(", \"seconds\": %.6f", ev->duration_ns / 1e9);
	if (ev->type == NFS_CACHEFS_EVENT_FAIL) {
		printf(", \"status\": %" PRId32 ", \"reason\": ", ev->status);
		nfsc_json_string(ev->reason);
	}
	printf("}\n");
}

static void on_event(const struct nfsc_event *ev, void *arg)
{
	if (*(bool *)arg)
		print_json(ev);
	else
		print_text(ev);
	fflush(stdout);
}

static void on_joined(void *arg)
{
	(void)arg;
	nfsc_say("monitor: listening (Ctrl-C stops)");
}

int cmd_monitor(int argc, char **argv)
{
	bool json = false;
	int i, ret;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: nfscache-helper monitor [--json]\n"
		       "The kernel's events as they happen, one line each: miss,\n"
		       "claim, done, fail, stale, cull. Needs CAP_SYS_ADMIN.\n");
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (json || strcmp(argv[i], "--json")) {
			nfsc_say("monitor: unexpected argument \"%s\"", argv[i]);
			return EXIT_USAGE;
		}
		json = true;
	}
	ret = nfsc_nl_monitor(on_event, on_joined, &json);
	if (ret == -ENOENT)
		nfsc_say("monitor: the nfs_cachefs module is not loaded");
	else if (ret == -EPERM || ret == -EACCES)
		nfsc_say("monitor: joining the monitor group: %s (needs CAP_SYS_ADMIN)",
			 strerror(-ret));
	else
		nfsc_say("monitor: %s", strerror(-ret));
	return 1;
}
