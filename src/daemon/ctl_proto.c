/*
 * ctl_proto.c - parsing the control protocol's request line (control.h).
 * No I/O: the daemon's control.c reads the line, this file says what it asks.
 */
#include "config.h"

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mangrove/control.h"
#include "mangrove/errors.h"
#include "mangrove/wire.h"

#define CTL_MAX_WORDS 6

struct ctl_word {
	const char *p;
	size_t len;
};

/* What a command's arguments are. */
enum ctl_args {
	ARGS_NONE = 0,
	ARGS_LEVEL,     /* verbosity N */
	ARGS_RESET,     /* [--reset] */
	ARGS_NAME,      /* NAME */
	ARGS_NAME_TYPE, /* NAME [TYPE] */
	ARGS_ADDR,      /* [ADDR|all] */
	ARGS_NAME_LIFE, /* NAME [LIFETIME] */
};

static const struct {
	const char *name, *sub; /* sub: the second word of two-word commands */
	enum ctl_cmd cmd;
	enum ctl_args args;
	const char *usage;
} ctl_commands[] = {
        {"status", NULL, CTL_STATUS, ARGS_NONE, "status"},
        {"stats", NULL, CTL_STATS, ARGS_RESET, "stats [--reset]"},
        {"verbosity", NULL, CTL_VERBOSITY, ARGS_LEVEL, "verbosity N"},
        {"reload", NULL, CTL_RELOAD, ARGS_NONE, "reload"},
        {"stop", NULL, CTL_STOP, ARGS_NONE, "stop"},
        {"flush", NULL, CTL_FLUSH, ARGS_NAME_TYPE, "flush NAME [TYPE]"},
        {"flush-zone", NULL, CTL_FLUSH_ZONE, ARGS_NAME, "flush-zone NAME"},
        {"flush-bogus", NULL, CTL_FLUSH_BOGUS, ARGS_NONE, "flush-bogus"},
        {"flush-negative", NULL, CTL_FLUSH_NEGATIVE, ARGS_NONE, "flush-negative"},
        {"flush-infra", NULL, CTL_FLUSH_INFRA, ARGS_ADDR, "flush-infra [ADDR|all]"},
        {"flush-all", NULL, CTL_FLUSH_ALL, ARGS_NONE, "flush-all"},
        {"dump-cache", NULL, CTL_DUMP_CACHE, ARGS_NONE, "dump-cache"},
        {"load-cache", NULL, CTL_LOAD_CACHE, ARGS_NONE, "load-cache"},
        {"lookup", NULL, CTL_LOOKUP, ARGS_NAME, "lookup NAME"},
        {"nta", "add", CTL_NTA_ADD, ARGS_NAME_LIFE, "nta add NAME [LIFETIME]"},
        {"nta", "remove", CTL_NTA_REMOVE, ARGS_NAME, "nta remove NAME"},
        {"nta", "list", CTL_NTA_LIST, ARGS_NONE, "nta list"},
        {"explain", NULL, CTL_EXPLAIN, ARGS_NAME_TYPE, "explain NAME [TYPE]"},
};

#define N_COMMANDS (sizeof(ctl_commands) / sizeof(ctl_commands[0]))

size_t ctl_command_count(void)
{
	return N_COMMANDS;
}

const char *ctl_command_usage(size_t i)
{
	return i < N_COMMANDS ? ctl_commands[i].usage : NULL;
}

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

/* A word as a C string, or false when it is too long for buf. */
static bool word_copy(const struct ctl_word *w, char *buf, size_t len)
{
	if (w->len >= len)
		return false;
	memcpy(buf, w->p, w->len);
	buf[w->len] = '\0';
	return true;
}

static int parse_name(const struct ctl_word *w, struct ctl_request *out, char *err, size_t errlen)
{
	char text[WIRE_DNAME_STR_MAX], shown[80];
	if (!word_copy(w, text, sizeof(text)) ||
	    wire_dname_from_str(text, out->name, &out->name_len) != 0) {
		word_show(w, shown, sizeof(shown));
		snprintf(err, errlen, "'%s' is not a domain name", shown);
		return ERR_SYNTAX;
	}
	wire_dname_to_lower(out->name);
	return 0;
}

static int parse_type(const struct ctl_word *w, uint16_t *out, char *err, size_t errlen)
{
	char text[32], shown[80];
	ldns_rr_type t = 0;
	if (word_copy(w, text, sizeof(text)))
		t = ldns_get_rr_type_by_name(text);
	if (t == 0) {
		word_show(w, shown, sizeof(shown));
		snprintf(err, errlen, "'%s' is not a record type", shown);
		return ERR_SYNTAX;
	}
	*out = (uint16_t)t;
	return 0;
}

static int parse_addr(const struct ctl_word *w, struct ctl_request *out, char *err, size_t errlen)
{
	char text[64], shown[80];
	if (word_is(w, "all")) {
		out->all = true;
		return 0;
	}
	if (!word_copy(w, text, sizeof(text)) || sa_parse(text, 53, &out->addr) != 0) {
		word_show(w, shown, sizeof(shown));
		snprintf(err, errlen, "'%s' is not an IP address (or 'all')", shown);
		return ERR_SYNTAX;
	}
	return 0;
}

int ctl_parse_duration(const char *text, size_t len, uint32_t *out)
{
	uint64_t v = 0, unit = 1;
	size_t i = 0;
	for (; i < len && text[i] >= '0' && text[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(text[i] - '0');
		if (v > UINT32_MAX)
			return ERR_SYNTAX;
	}
	if (i == 0 || len - i > 1)
		return ERR_SYNTAX;
	if (i < len) {
		const char *units = "smhd";
		const uint64_t secs[] = {1, 60, 3600, 86400};
		const char *u = memchr(units, text[i], 4);
		if (u == NULL)
			return ERR_SYNTAX;
		unit = secs[u - units];
	}
	if (v * unit > UINT32_MAX)
		return ERR_SYNTAX;
	*out = (uint32_t)(v * unit);
	return 0;
}

/* The arguments after the command words w[0..n), as args says. */
static int parse_args(enum ctl_args args, const struct ctl_word *w, int n, struct ctl_request *out,
                      char *err, size_t errlen)
{
	char shown[80];
	switch (args) {
	case ARGS_NONE:
		return n == 0 ? 0 : ERR_SYNTAX;
	case ARGS_LEVEL:
		return n == 1 ? parse_level(&w[0], &out->level, err, errlen) : ERR_SYNTAX;
	case ARGS_RESET:
		if (n == 1 && word_is(&w[0], "--reset"))
			out->reset = true;
		return n == 0 || out->reset ? 0 : ERR_SYNTAX;
	case ARGS_NAME:
		return n == 1 ? parse_name(&w[0], out, err, errlen) : ERR_SYNTAX;
	case ARGS_NAME_TYPE:
		if (n < 1 || n > 2)
			return ERR_SYNTAX;
		if (n == 2 && parse_type(&w[1], &out->type, err, errlen) != 0)
			return ERR_RANGE;
		return parse_name(&w[0], out, err, errlen);
	case ARGS_ADDR:
		if (n > 1)
			return ERR_SYNTAX;
		out->all = n == 0;
		return n == 1 ? parse_addr(&w[0], out, err, errlen) : 0;
	case ARGS_NAME_LIFE:
		if (n < 1 || n > 2)
			return ERR_SYNTAX;
		if (n == 2 && ctl_parse_duration(w[1].p, w[1].len, &out->lifetime) != 0) {
			word_show(&w[1], shown, sizeof(shown));
			snprintf(err, errlen,
			         "'%s' is not a lifetime (seconds, or a number with s, m, h or d)",
			         shown);
			return ERR_RANGE;
		}
		return parse_name(&w[0], out, err, errlen);
	}
	return ERR_SYNTAX;
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
	memset(out, 0, sizeof(*out));
	int n = split(line, len, w), first = 0;
	if (n > 0 && word_is(&w[0], "--json")) {
		out->json = true;
		first = 1;
	}
	if (n == first) {
		snprintf(err, errlen, "empty request");
		return ERR_SYNTAX;
	}
	char shown[80];
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const char *sub = ctl_commands[i].sub;
		if (!word_is(&w[first], ctl_commands[i].name) ||
		    (sub != NULL && (n <= first + 1 || !word_is(&w[first + 1], sub))))
			continue;
		int words = first + (sub != NULL ? 2 : 1);
		out->cmd = ctl_commands[i].cmd;
		err[0] = '\0';
		int rc = n < 0 ? ERR_SYNTAX
		               : parse_args(ctl_commands[i].args, w + words, n - words, out, err,
		                            errlen);
		if (rc != 0 && err[0] == '\0')
			snprintf(err, errlen, "usage: %s", ctl_commands[i].usage);
		return rc;
	}
	word_show(&w[first], shown, sizeof(shown));
	if (word_is(&w[first], "nta"))
		snprintf(err, errlen,
		         "usage: nta add NAME [LIFETIME] | nta remove NAME | nta list");
	else
		snprintf(err, errlen, "unknown command '%s'", shown);
	return ERR_NOTFOUND;
}
