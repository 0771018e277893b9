// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark tool: print the cache object name nfs_cachefs gives a file on
 * NFS: its exportfs handle type and handle in hex, as name_to_handle_at()
 * returns them (the module encodes handles the same way). Handles too long
 * for a name are hashed by the module; this tool reports those as errors.
 *
 *   fh_name PATH
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct file_handle *fh;
	unsigned int i;
	int mnt_id;

	if (argc != 2) {
		fprintf(stderr, "usage: fh_name PATH\n");
		return 2;
	}
	/* MAX_HANDLE_SZ: what name_to_handle_at() takes at most. */
	fh = calloc(1, sizeof(*fh) + 128);
	if (!fh)
		return 1;
	fh->handle_bytes = 128;
	if (name_to_handle_at(AT_FDCWD, argv[1], fh, &mnt_id, 0)) {
		fprintf(stderr, "fh_name: %s: %s\n", argv[1], strerror(errno));
		free(fh);
		return 1;
	}
	if (fh->handle_bytes > 121) {
		fprintf(stderr, "fh_name: %s: handle too long to name\n", argv[1]);
		free(fh);
		return 1;
	}
	printf("%02x", fh->handle_type & 0xff);
	for (i = 0; i < fh->handle_bytes; i++)
		printf("%02x", fh->f_handle[i]);
	printf("\n");
	free(fh);
	return 0;
}
