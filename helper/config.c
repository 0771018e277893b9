// SPDX-License-Identifier: GPL-2.0
/*
 * nfscache-helper: the configuration file of `run`.
 *
 * One option a line, by its long name without the dashes: "key = value",
 * or "key" alone for a flag ("key = yes" and "key = no" also do: "no" is
 * the option "no-key" where one exists, as "direct = no"); '#' starts a
 * comment. The lines become "--key=value" arguments placed before
 * the command line's, so every key is also a flag, a flag given on the
 * command line wins, and values are checked by the same code. A key that
 * is not an option is an error naming it and its line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && strchr(" \t\r\n", end[-1]))
		end--;
	*end = '\0';
	return s;
}

static const struct option *find_option(const struct option *opts,
					const char *name)
{
	for (; opts->name; opts++)
		if (!strcmp(opts->name, name))
			return opts;
	return NULL;
}

static int push(struct nfsc_config *cfg, char *arg)
{
	char **args;

	if (!arg)
		return -ENOMEM;
	args = realloc(cfg->args, (cfg->n + 1) * sizeof(*args));
	if (!args) {
		free(arg);
		return -ENOMEM;
	}
	cfg->args = args;
	cfg->args[cfg->n++] = arg;
	return 0;
}

/* One line: 0, 1 for bad content (said), or -errno. */
static int parse_line(struct nfsc_config *cfg, const struct option *opts,
		      const char *path, int lineno, char *line)
{
	const struct option *o;
	char *key, *value = NULL, *eq, *arg;
	bool on = true;

	*strchrnul(line, '#') = '\0';
	key = trim(line);
	if (!*key)
		return 0;
	eq = strchr(key, '=');
	if (eq) {
		*eq = '\0';
		value = trim(eq + 1);
		key = trim(key);
	}
	o = find_option(opts, key);
	if (!o || !strcmp(key, "help") || !strcmp(key, "config")) {
		fprintf(stderr, "nfscache-helper: %s:%d: unknown key \"%s\"\n",
			path, lineno, key);
		return 1;
	}
	if (o->has_arg == no_argument) {
		if (value && (!strcmp(value, "no") || !strcmp(value, "false") ||
			      !strcmp(value, "0")))
			on = false;
		else if (value && strcmp(value, "yes") && strcmp(value, "true") &&
			 strcmp(value, "1")) {
			fprintf(stderr, "nfscache-helper: %s:%d: %s takes yes or no, not \"%s\"\n",
				path, lineno, key, value);
			return 1;
		}
		if (!on) {
			/*
			 * "no" is the flag's opposite, X for no-X and no-X for
			 * X, so that it holds whatever the default. A flag
			 * without one has "no" as its default: nothing to add.
			 */
			if (!strncmp(key, "no-", 3)) {
				o = find_option(opts, key + 3);
			} else {
				if (asprintf(&arg, "no-%s", key) < 0)
					return -ENOMEM;
				o = find_option(opts, arg);
				free(arg);
			}
			if (!o)
				return 0;
		}
		return asprintf(&arg, "--%s", o->name) < 0 ? -ENOMEM : push(cfg, arg);
	}
	if (!value || !*value) {
		fprintf(stderr, "nfscache-helper: %s:%d: %s needs a value\n",
			path, lineno, key);
		return 1;
	}
	return asprintf(&arg, "--%s=%s", key, value) < 0 ? -ENOMEM : push(cfg, arg);
}

int nfsc_config_load(struct nfsc_config *cfg, const char *path, bool must_exist,
		     const struct option *opts)
{
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, ret = 0;
	FILE *f;

	memset(cfg, 0, sizeof(*cfg));
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		ret = -errno;
		fprintf(stderr, "nfscache-helper: %s: %s\n", path, strerror(-ret));
		return ret;
	}
	while (!ret) {
		errno = 0;
		if (getline(&line, &cap, f) < 0) {
			/* End of file, or a read error (a directory: EISDIR). */
			if (ferror(f)) {
				ret = errno ? -errno : -EIO;
				fprintf(stderr, "nfscache-helper: %s: %s\n",
					path, strerror(-ret));
			}
			break;
		}
		ret = parse_line(cfg, opts, path, ++lineno, line);
	}
	free(line);
	fclose(f);
	if (ret)
		nfsc_config_free(cfg);
	return ret;
}

void nfsc_config_free(struct nfsc_config *cfg)
{
	while (cfg->n)
		free(cfg->args[--cfg->n]);
	free(cfg->args);
	cfg->args = NULL;
}
