/*
 * ctl_out.h - the body of a control reply, written once and shown as text
 * or as JSON (mangrove-control --json). No I/O.
 *
 * Text: a field at the top is a "key: value" line; a list is one line per
 * item, its fields as key=value separated by blanks (values with blanks or
 * quotes are quoted, C-style). JSON: one object; a list is an array of
 * objects. The buffer grows to at most max bytes; nothing past that is
 * written and ctl_out_truncated() says so (the control server then answers
 * with an error rather than a reply cut short).
 */
#ifndef MANGROVE_DAEMON_CTL_OUT_H
#define MANGROVE_DAEMON_CTL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_OUT_DEPTH 4

struct ctl_out {
	char *buf;
	size_t len, cap, max;
	bool full, json;
	unsigned depth;            /* 0: top object; 1: in a list; 2: in an item */
	bool first[CTL_OUT_DEPTH]; /* nothing written yet at this depth */
};

/** Start an empty reply of at most max bytes, shown as JSON or text. */
void ctl_out_init(struct ctl_out *o, bool json, size_t max);
/** Free the buffer. */
void ctl_out_free(struct ctl_out *o);
/** Write a first line ("ok", or "error: ..." via ctl_out_error) before the body. */
void ctl_out_line(struct ctl_out *o, const char *line);
/** Open the body (JSON "{"); call once, after the first line. */
void ctl_out_begin(struct ctl_out *o);
/** Close the body (JSON "}"). */
void ctl_out_end(struct ctl_out *o);
/** A number field. */
void ctl_out_u64(struct ctl_out *o, const char *key, uint64_t v);
/** A signed number field. */
void ctl_out_i64(struct ctl_out *o, const char *key, int64_t v);
/** A string field (NULL is written as JSON null, text "-"). */
void ctl_out_str(struct ctl_out *o, const char *key, const char *v);
/** A yes/no field (JSON true/false). */
void ctl_out_bool(struct ctl_out *o, const char *key, bool v);
/** Open a list named key at the top. */
void ctl_out_list_begin(struct ctl_out *o, const char *key);
/** Close it. */
void ctl_out_list_end(struct ctl_out *o);
/** Open one item of the open list. */
void ctl_out_item_begin(struct ctl_out *o);
/** Close it. */
void ctl_out_item_end(struct ctl_out *o);
/** Append bytes as they are (text replies only, e.g. a cache dump); false once full. */
bool ctl_out_raw(struct ctl_out *o, const char *data, size_t len);
/** True when something did not fit in max bytes. */
bool ctl_out_truncated(const struct ctl_out *o);

#endif
