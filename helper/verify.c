// SPDX-License-Identifier: GPL-2.0
/*
 * nfscache-helper verify: re-read every object of every mounted volume
 * and compare it with the checksum its record holds (fills made with
 * run --checksum). A bad object is dropped through the kernel's CULL,
 * which refuses one that is open: that one is reported and kept. Objects
 * without a checksum are counted, not judged.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <endian.h>

#include "checksum.h"
#include "daemon.h"
#include "json.h"
#include "log.h"
#include "nl.h"
#include "verify.h"
#include "volume.h"

struct seen_volume {
	dev_t dev;
	ino_t ino;
};

struct verify {
	struct nfsc_chan *ch;
	bool json;
	uint32_t mount_id;		/* of the volume being walked */
	unsigned long objects, good, bad, dropped, unchecked;
	unsigned int nbad_shown;	/* JSON array entries so far */
	int error;			/* the first error that is not a verdict */
	struct seen_volume seen[64];	/* volumes walked already */
	unsigned int nseen;
};

/* Why @fd does not match @rec, or NULL when it does. -errno in *@err. */
static const char *judge(int fd, const struct nfs_cachefs_record *rec,
			 int *err)
{
	uint8_t csum[NFSC_CSUM_LEN];
	uint64_t bytes;

	*err = nfsc_csum_file(fd, csum, &bytes);
	if (*err)
		return NULL;
	if (bytes != le64toh(rec->size))
		return "length differs from the record";
	if (memcmp(csum, rec->csum, NFSC_CSUM_LEN))
		return "checksum mismatch";
	return NULL;
}

/* What became of a bad object: words for the text, a token for JSON. */
static const char *fate_of(int cull_ret, bool json)
{
	switch (cull_ret) {
	case 0:
		return "dropped";
	case -EBUSY:
		return json ? "kept_open" : "open, kept";
	case -ENOENT:
		return json ? "gone_already" : "gone already";
	case -EINPROGRESS:
		return json ? "being_dropped" : "still being dropped";
	default:
		return json ? "not_dropped" : strerror(-cull_ret);
	}
}

static void report_bad(struct verify *v, const char *name, const char *why,
		       int cull_ret)
{
	const char *fate;

	if (!v->json) {
		printf("bad: mount %" PRIu32 ": object %s: %s (%s)\n",
		       v->mount_id, name, why, fate_of(cull_ret, false));
		return;
	}
	printf("%s\n    {\"mount\": %" PRIu32 ", \"object\": ",
	       v->nbad_shown++ ? "," : "", v->mount_id);
	nfsc_json_string(name);
	printf(", \"reason\": ");
	nfsc_json_string(why);
	fate = fate_of(cull_ret, true);
	printf(", \"dropped\": %s, \"fate\": \"%s\"", cull_ret ? "false" : "true",
	       fate);
	if (!strcmp(fate, "not_dropped")) {
		printf(", \"error\": ");
		nfsc_json_string(strerror(-cull_ret));
	}
	printf("}");
}

static int check_object(int dirfd, const char *leaf, const char *name,
			const struct stat *st, void *arg)
{
	struct nfs_cachefs_record rec;
	struct stat judged, now;
	struct verify *v = arg;
	const char *why;
	uint64_t freed;
	ssize_t len;
	int fd, err, ret;

	(void)st;
	v->objects++;
	fd = openat(dirfd, leaf, O_RDONLY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT) {	/* culled or replaced meanwhile */
			nfsc_say("verify: mount %" PRIu32 ": object %s: %s",
				 v->mount_id, name, strerror(errno));
			v->error = v->error ? v->error : -errno;
		}
		v->objects--;
		return 0;
	}
	memset(&rec, 0, sizeof(rec));
	if (fstat(fd, &judged))
		judged.st_ino = 0;
	len = fgetxattr(fd, NFS_CACHEFS_XATTR, &rec, sizeof(rec));
	if (len >= (ssize_t)sizeof(rec) &&
	    rec.version != NFS_CACHEFS_RECORD_VERSION)
		nfsc_say("verify: mount %" PRIu32 ": object %s: record version %u, not %u: not checked",
			 v->mount_id, name, rec.version,
			 NFS_CACHEFS_RECORD_VERSION);
	if (len < (ssize_t)sizeof(rec) ||
	    rec.version != NFS_CACHEFS_RECORD_VERSION ||
	    rec.csum_len != NFSC_CSUM_LEN ||
	    rec.csum[0] != NFS_CACHEFS_CSUM_SHA256) {
		/*
		 * No record (never served), filled without --checksum, or a
		 * record of a layout this helper does not know.
		 */
		v->unchecked++;
		close(fd);
		return 0;
	}
	why = judge(fd, &rec, &err);
	close(fd);
	if (err) {
		nfsc_say("verify: mount %" PRIu32 ": object %s: reading: %s",
			 v->mount_id, name, strerror(-err));
		v->error = v->error ? v->error : err;
		return 0;
	}
	if (!why) {
		v->good++;
		return 0;
	}
	v->bad++;
	/*
	 * CULL goes by name: a refill committed meanwhile is not the one
	 * judged. Its inode may have the judged one's number again (closed,
	 * as CULL refuses an open object), not its ctime: nothing changes an
	 * object's ctime after its commit (a hit sets the atime alone).
	 */
	if (fstatat(dirfd, leaf, &now, AT_SYMLINK_NOFOLLOW) ||
	    now.st_ino != judged.st_ino || !judged.st_ino ||
	    now.st_ctim.tv_sec != judged.st_ctim.tv_sec ||
	    now.st_ctim.tv_nsec != judged.st_ctim.tv_nsec)
		ret = -ENOENT;
	else
		ret = nfsc_chan_cull(v->ch, v->mount_id, name, &freed);
	if (!ret)
		v->dropped++;
	report_bad(v, name, why, ret);
	return 0;
}

/* One mount of the GET_STATS dump: walk its volume, once per volume. */
static void verify_mount(const struct nfsc_mount_stats *m, void *arg)
{
	struct verify *v = arg;
	char path[PATH_MAX];
	struct stat st;
	unsigned int i;
	int fd, ret;

	if (!m->volume[0])
		return;
	if (snprintf(path, sizeof(path), "%s/%s", m->cachedir, m->volume) >=
	    (int)sizeof(path)) {
		v->error = -ENAMETOOLONG;
		return;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		nfsc_say("verify: mount %" PRIu32 ": %s: %s", m->id, path,
			 strerror(errno));
		v->error = v->error ? v->error : -errno;
		if (fd >= 0)
			close(fd);
		return;
	}
	for (i = 0; i < v->nseen; i++) {
		if (v->seen[i].dev == st.st_dev && v->seen[i].ino == st.st_ino) {
			close(fd);
			return;
		}
	}
	if (v->nseen < sizeof(v->seen) / sizeof(*v->seen))
		v->seen[v->nseen++] = (struct seen_volume){ st.st_dev, st.st_ino };
	v->mount_id = m->id;
	ret = nfsc_volume_walk(fd, check_object, v);
	if (ret) {
		nfsc_say("verify: mount %" PRIu32 ": %s: %s", m->id, path,
			 strerror(-ret));
		v->error = v->error ? v->error : ret;
	}
	close(fd);
}

/* Records are trusted.* xattrs and CULL is privileged: both need it. */
static bool have_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &
	       CAP_TO_MASK(CAP_SYS_ADMIN);
}

static void verify_usage(FILE *out)
{
	fprintf(out,
		"Usage: nfscache-helper verify [--json]\n"
		"Re-read every cache object of every nfs_cachefs mount and compare\n"
		"it with the SHA-256 stored in its record (fills made by\n"
		"run --checksum); drop the bad ones, unless open. Objects filled\n"
		"without a checksum are counted, not checked. Needs CAP_SYS_ADMIN.\n"
		"\n"
		"  --json      the summary and the bad objects as one JSON object\n"
		"  -h, --help  print this help\n"
		"\n"
		"Exit status: 0 when every checked object is good, 1 when a bad\n"
		"one was found (dropped or not) or an object could not be read,\n"
		"2 on bad usage.\n");
}

int cmd_verify(int argc, char **argv)
{
	struct verify v = { 0 };
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		verify_usage(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--json")) {
		v.json = true;
	} else if (argc != 1) {
		fprintf(stderr, "nfscache-helper: verify: unexpected argument \"%s\"\n",
			argv[1]);
		verify_usage(stderr);
		return EXIT_USAGE;
	}
	if (!have_cap_sys_admin()) {
		nfsc_say("verify: needs CAP_SYS_ADMIN (records are trusted.* attributes)");
		return 1;
	}
	v.ch = nfsc_chan_open(NULL, NULL, &ret);
	if (!v.ch) {
		nfsc_say("verify: %s", ret == -ENOENT ?
			 "the nfs_cachefs module is not loaded" : strerror(-ret));
		return 1;
	}
	if (v.json)
		printf("{\"bad_objects\": [");
	ret = nfsc_nl_dump_stats(verify_mount, &v);
	nfsc_chan_close(v.ch);
	if (ret) {
		nfsc_say("verify: listing mounts: %s", strerror(-ret));
		v.error = v.error ? v.error : ret;
	}
	if (v.json)
		printf("%s], \"objects\": %lu, \"good\": %lu, \"bad\": %lu, "
		       "\"dropped\": %lu, \"unchecked\": %lu, \"errors\": %s}\n",
		       v.nbad_shown ? "\n  " : "", v.objects, v.good, v.bad,
		       v.dropped, v.unchecked, v.error ? "true" : "false");
	else
		printf("verified %lu object(s): %lu good, %lu bad (%lu dropped), %lu without a checksum\n",
		       v.objects, v.good, v.bad, v.dropped, v.unchecked);
	return v.bad || v.error ? 1 : 0;
}
