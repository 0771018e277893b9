/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_JSON_H
#define NFSC_HELPER_JSON_H

#include <stdio.h>

/* The length of the valid UTF-8 sequence at @p, or 0. */
static inline int nfsc_utf8_len(const unsigned char *p)
{
	int n, i;

	if (*p < 0x80)
		return 1;
	n = *p >= 0xf0 && *p <= 0xf4 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 && *p < 0xe0 ? 2 : 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong three- and four-byte forms, surrogates, beyond U+10FFFF. */
	if ((n == 3 && ((*p == 0xe0 && p[1] < 0xa0) || (*p == 0xed && p[1] >= 0xa0))) ||
	    (n == 4 && ((*p == 0xf0 && p[1] < 0x90) || (*p == 0xf4 && p[1] >= 0x90))))
		return 0;
	return n;
}

/*
 * A JSON string on stdout: quotes, backslashes and control characters
 * escaped. Paths are bytes: one that is not UTF-8 is written as \u00XX
 * (its Latin-1 reading), so the output always parses.
 */
static inline void nfsc_json_string(const char *str)
{
	const unsigned char *p;
	int n;

	putchar('"');
	for (p = (const unsigned char *)str; *p; p += n) {
		n = nfsc_utf8_len(p);
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || !n)
			printf("\\u%04x", *p);
		else
			fwrite(p, 1, n, stdout);
		if (!n)
			n = 1;
	}
	putchar('"');
}

#endif
