/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_JSON_H
#define NFSC_HELPER_JSON_H

#include <stdio.h>

/* A JSON string on stdout: quotes, backslashes and control characters escaped. */
static inline void nfsc_json_string(const char *str)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

#endif
