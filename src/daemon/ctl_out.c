/*
 * ctl_out.c - building a control reply body as text or JSON (ctl_out.h).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_out.h"

void ctl_out_init(struct ctl_out *o, bool json, size_t max)
{
	memset(o, 0, sizeof(*o));
	o->json = json;
	o->max = max;
	o->first[0] = true;
}

void ctl_out_free(struct ctl_out *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

bool ctl_out_raw(struct ctl_out *o, const char *data, size_t len)
{
	if (o->full)
		return false;
	if (len == 0)
		return true;
	if (o->len + len > o->max) {
		o->full = true;
		return false;
	}
	if (o->len + len > o->cap) {
		size_t cap = o->cap ? o->cap : 1024;
		while (cap < o->len + len)
			cap *= 2;
		char *b = realloc(o->buf, cap);
		if (b == NULL) {
			o->full = true;
			return false;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, data, len);
	o->len += len;
	return true;
}

static void put(struct ctl_out *o, const char *s)
{
	ctl_out_raw(o, s, strlen(s));
}

void ctl_out_line(struct ctl_out *o, const char *line)
{
	put(o, line);
	put(o, "\n");
}

bool ctl_out_truncated(const struct ctl_out *o)
{
	return o->full;
}

/* A string value, JSON-escaped or (text) quoted when it has blanks or quotes. */
static void put_string(struct ctl_out *o, const char *v, bool quote)
{
	if (!quote) {
		put(o, v);
		return;
	}
	put(o, "\"");
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
		char esc[8];
		if (*p == '"' || *p == '\\')
			snprintf(esc, sizeof(esc), "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
		else
			snprintf(esc, sizeof(esc), "%c", *p);
		put(o, esc);
	}
	put(o, "\"");
}

static bool needs_quotes(const char *v)
{
	if (*v == '\0')
		return true;
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == 0x7f)
			return true;
	return false;
}

/* The separator and key before a value at the current depth. */
static void put_key(struct ctl_out *o, const char *key)
{
	bool first = o->first[o->depth];
	o->first[o->depth] = false;
	if (o->json) {
		put(o, first ? "" : ",");
		put_string(o, key, true);
		put(o, ":");
	} else if (o->depth == 0) {
		put(o, key);
		put(o, ": ");
	} else {
		put(o, first ? "" : " ");
		put(o, key);
		put(o, "=");
	}
}

/* The end of a value: a text field at the top ends its line. */
static void put_end(struct ctl_out *o)
{
	if (!o->json && o->depth == 0)
		put(o, "\n");
}

void ctl_out_begin(struct ctl_out *o)
{
	if (o->json)
		put(o, "{");
}

void ctl_out_end(struct ctl_out *o)
{
	if (o->json)
		put(o, "}\n");
}

void ctl_out_u64(struct ctl_out *o, const char *key, uint64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%" PRIu64, v);
	put_key(o, key);
	put(o, num);
	put_end(o);
}

void ctl_out_i64(struct ctl_out *o, const char *key, int64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%" PRId64, v);
	put_key(o, key);
	put(o, num);
	put_end(o);
}

void ctl_out_str(struct ctl_out *o, const char *key, const char *v)
{
	put_key(o, key);
	if (v == NULL)
		put(o, o->json ? "null" : "-");
	else
		put_string(o, v, o->json || (o->depth > 0 && needs_quotes(v)));
	put_end(o);
}

void ctl_out_bool(struct ctl_out *o, const char *key, bool v)
{
	put_key(o, key);
	put(o, o->json ? (v ? "true" : "false") : (v ? "yes" : "no"));
	put_end(o);
}

void ctl_out_list_begin(struct ctl_out *o, const char *key)
{
	if (o->json) {
		put_key(o, key);
		put(o, "[");
	}
	if (o->depth + 1 < CTL_OUT_DEPTH)
		o->first[++o->depth] = true;
}

void ctl_out_list_end(struct ctl_out *o)
{
	if (o->depth > 0)
		o->depth--;
	if (o->json)
		put(o, "]");
}

void ctl_out_item_begin(struct ctl_out *o)
{
	if (o->json) {
		put(o, o->first[o->depth] ? "{" : ",{");
		o->first[o->depth] = false;
	}
	if (o->depth + 1 < CTL_OUT_DEPTH)
		o->first[++o->depth] = true;
}

void ctl_out_item_end(struct ctl_out *o)
{
	if (o->depth > 0)
		o->depth--;
	put(o, o->json ? "}" : "\n");
}
