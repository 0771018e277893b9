/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfscache-helper: SHA-256 (FIPS 180-4), for the checksums of cache
 * objects. Small and dependency-free; fills with --checksum and verify
 * are its only users.
 */
#ifndef NFSC_HELPER_SHA256_H
#define NFSC_HELPER_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE	32
#define SHA256_BLOCK_SIZE	64

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;			/* hashed so far */
	uint8_t block[SHA256_BLOCK_SIZE];
	size_t fill;			/* bytes waiting in block[] */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[SHA256_DIGEST_SIZE]);

#endif
