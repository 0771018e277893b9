/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfscache-helper: checksums of cache objects. What a fill made with
 * --checksum hands the kernel (FILL_DONE's CHECKSUM), and the kernel keeps
 * in the object's record: one byte of enum nfs_cachefs_csum_type, then the
 * digest. It is taken of the cache file as written, read back while the
 * copy goes on (from the disk with O_DIRECT, the page cache with
 * --no-direct), so NFS is read once and the sum covers what was written,
 * not what was read.
 */
#ifndef NFSC_HELPER_CHECKSUM_H
#define NFSC_HELPER_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define NFSC_CSUM_LEN		(1 + SHA256_DIGEST_SIZE)
#define NFSC_CSUM_HEX_LEN	(2 * NFSC_CSUM_LEN + 1)

/* A checksum taken as a file is written, front to back. */
struct nfsc_csum {
	struct sha256 sha;
	uint64_t done;			/* bytes summed */
	uint8_t *buf;			/* aligned: the fd may be O_DIRECT */
};

/* 0 or -ENOMEM. */
int nfsc_csum_init(struct nfsc_csum *s);
void nfsc_csum_free(struct nfsc_csum *s);

/*
 * Sum what @fd holds from s->done up to @upto, at most @budget bytes of
 * it. Until @final only whole 4 KiB blocks: the file is still being
 * written, maybe with O_DIRECT. 0 or -errno; a file shorter than @upto
 * stops it early (s->done tells).
 */
int nfsc_csum_advance(struct nfsc_csum *s, int fd, uint64_t upto,
		      uint64_t budget, bool final);

/* The stored form: type byte and digest. */
void nfsc_csum_final(struct nfsc_csum *s, uint8_t out[NFSC_CSUM_LEN]);

/* Checksum of all of @fd, as stored; *@bytes its length. 0 or -errno. */
int nfsc_csum_file(int fd, uint8_t out[NFSC_CSUM_LEN], uint64_t *bytes);

/* @len bytes as lowercase hex into @hex (2 * @len + 1 bytes). */
void nfsc_csum_hex(const uint8_t *csum, size_t len, char *hex);

#endif
