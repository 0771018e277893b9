// SPDX-License-Identifier: GPL-2.0
/* nfscache-helper: checksums of cache objects (see checksum.h). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <linux/nfs_cachefs.h>

#include "checksum.h"

#define BLOCK		4096U
#define CHUNK		(1U << 20)

int nfsc_csum_init(struct nfsc_csum *s)
{
	void *buf;

	if (posix_memalign(&buf, BLOCK, CHUNK))
		return -ENOMEM;
	s->buf = buf;
	s->done = 0;
	sha256_init(&s->sha);
	return 0;
}

void nfsc_csum_free(struct nfsc_csum *s)
{
	free(s->buf);
	s->buf = NULL;
}

int nfsc_csum_advance(struct nfsc_csum *s, int fd, uint64_t upto,
		      uint64_t budget, bool final)
{
	uint64_t want;
	ssize_t n;

	while (s->done < upto && budget) {
		want = upto - s->done;
		if (want > CHUNK)
			want = CHUNK;
		if (want > budget)
			want = budget;
		if (!final)
			want &= ~(uint64_t)(BLOCK - 1);
		if (!want)
			break;
		/*
		 * s->done stays a multiple of BLOCK until the last piece, and
		 * the length asked is rounded up: O_DIRECT takes both.
		 */
		n = pread(fd, s->buf, (want + BLOCK - 1) & ~(uint64_t)(BLOCK - 1),
			  s->done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((uint64_t)n > want)
			n = want;
		sha256_update(&s->sha, s->buf, n);
		s->done += n;
		budget -= n;
		if ((uint64_t)n < want)
			break;		/* the end of the file */
	}
	return 0;
}

void nfsc_csum_final(struct nfsc_csum *s, uint8_t out[NFSC_CSUM_LEN])
{
	out[0] = NFS_CACHEFS_CSUM_SHA256;
	sha256_final(&s->sha, out + 1);
}

int nfsc_csum_file(int fd, uint8_t out[NFSC_CSUM_LEN], uint64_t *bytes)
{
	struct nfsc_csum s;
	int ret;

	ret = nfsc_csum_init(&s);
	if (ret)
		return ret;
	ret = nfsc_csum_advance(&s, fd, UINT64_MAX, UINT64_MAX, true);
	if (!ret) {
		nfsc_csum_final(&s, out);
		*bytes = s.done;
	}
	nfsc_csum_free(&s);
	return ret;
}

void nfsc_csum_hex(const uint8_t *csum, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[csum[i] >> 4];
		hex[2 * i + 1] = digits[csum[i] & 15];
	}
	hex[2 * len] = '\0';
}
