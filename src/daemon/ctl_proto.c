/*
 * ctl_proto.c - parsing the control protocol's request line (control.h).
 * No I/O: the daemon's control.c reads the line, this file says what it asks.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mangrove/control.h"
#include "mangrove/errors.h"

#define CTL_MAX_WORDS 4

struct ctl_word {
	const char *p;
	size_t len;
};

static const struct {
	const char *name;
	enum ctl_cmd cmd;
	unsigned nargs;
} ctl_commands[] = {
        {"status", CTL_STATUS, 0},       {"stats", CTL_STATS, 0}, {"verbosity", CTL_VERBOSITY, 1},
        {"flush-all", CTL_FLUSH_ALL, 0}, {"stop", CTL_STOP, 0},
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Split into at most CTL_MAX_WORDS words; the count, or -1 for more. */
static int split(const char *s, size_t len, struct ctl_word *w)
{
	int n = 0;
	size_t i = 0;
	while (i < len) {
		while (i < len && is_blank(s[i]))
			i++;
		if (i == len)
			break;
		if (n == CTL_MAX_WORDS)
			return -1;
		w[n].p = s + i;
		while (i < len && !is_blank(s[i]))
			i++;
		w[n].len = (size_t)(s + i - w[n].p);
		n++;
	}
	return n;
}

static bool word_is(const struct ctl_word *w, const char *name)
{
	return w->len == strlen(name) && memcmp(w->p, name, w->len) == 0;
}

/* A printable, shortened copy of a word for an error message. */
static void word_show(const struct ctl_word *w, char *out, size_t outlen)
{
	size_t n = 0;
	for (size_t i = 0; i < w->len && n + 1 < outlen && i < 64; i++)
		out[n++] = (w->p[i] >= 0x20 && w->p[i] < 0x7f) ? w->p[i] : '?';
	out[n] = '\0';
}

static int parse_level(const struct ctl_word *w, int *out, char *err, size_t errlen)
{
	if (w->len != 1 || w->p[0] < '0' || w->p[0] > '5') {
		snprintf(err, errlen, "verbosity must be a number from 0 to 5");
		return ERR_RANGE;
	}
	*out = w->p[0] - '0';
	return 0;
}

int ctl_parse(const char *line, size_t len, struct ctl_request *out, char *err, size_t errlen)
{
	struct ctl_word w[CTL_MAX_WORDS];
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > CTL_REQUEST_MAX) {
		snprintf(err, errlen, "request longer than %d bytes", CTL_REQUEST_MAX);
		return ERR_SYNTAX;
	}
	if (memchr(line, '\0', len) != NULL) {
		snprintf(err, errlen, "malformed request");
		return ERR_SYNTAX;
	}
	int n = split(line, len, w);
	if (n == 0) {
		snprintf(err, errlen, "empty request");
		return ERR_SYNTAX;
	}
	char shown[80];
	for (size_t i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++) {
		if (!word_is(&w[0], ctl_commands[i].name))
			continue;
		if (n < 0 || (unsigned)n != ctl_commands[i].nargs + 1) {
			snprintf(err, errlen, "%s takes %u argument%s", ctl_commands[i].name,
			         ctl_commands[i].nargs, ctl_commands[i].nargs == 1 ? "" : "s");
			return ERR_SYNTAX;
		}
		out->cmd = ctl_commands[i].cmd;
		out->arg = 0;
		if (out->cmd == CTL_VERBOSITY)
			return parse_level(&w[1], &out->arg, err, errlen);
		return 0;
	}
	word_show(&w[0], shown, sizeof(shown));
	snprintf(err, errlen, "unknown command '%s'", shown);
	return ERR_NOTFOUND;
}
