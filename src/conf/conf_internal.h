/*
 * conf_internal.h - what schema.c, parse.c and conf.c share: the option table
 * row, the state of one load in progress, and the error helpers.
 *
 * A load fills a fresh struct conf through a struct conf__build; the file is
 * read line by line (parse.c), each "name: value" line is handed to the row
 * of that name (schema.c), and conf.c applies the defaults before and the
 * cross-option rules after. Nothing is shared with a snapshot already built.
 */
#ifndef MANGROVE_CONF_INTERNAL_H
#define MANGROVE_CONF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mangrove/conf.h"

/* Deepest include nesting; the top file is depth 0. Stops include loops. */
#define CONF__MAX_INCLUDE_DEPTH 8
/* Most words one line may hold (the key counts); more is junk anyway. */
#define CONF__MAX_WORDS 8

/* How a row's value is read and printed. */
enum conf__type {
	CONF__T_BOOL,   /* yes or no, into a bool */
	CONF__T_UINT,   /* decimal number, into an unsigned integer of `size` bytes */
	CONF__T_SIZE,   /* number with an optional k, m or g suffix (1024-based), uint64_t */
	CONF__T_PATH,   /* file name made absolute against conf->dir, char *; "" = none */
	CONF__T_STRING, /* free text, char *; "" allowed */
	CONF__T_CUSTOM, /* the row's parse and print functions do the work */
};

/* Row flags. */
enum conf__flag {
	CONF__F_LIST = 1u << 0,     /* may be repeated, each line adds a value */
	CONF__F_POW2 = 1u << 1,     /* the number must be a power of two */
	CONF__F_READABLE = 1u << 2, /* the path must name a readable file at load */
	CONF__F_BUILTIN = 1u << 3,  /* list: the default is always there, lines add to it;
	                             * without it a list's default holds only when empty */
	CONF__F_PENDING = 1u << 4,  /* its feature is not finished: documented in
	                             * man/<x>.roff.in and etc/<x>.conf.in, not yet in
	                             * mangrove.conf.5 or the sample (test_conf checks both) */
	CONF__F_RESTART = 1u << 5,  /* a change takes a restart: reload refuses it */
};

struct conf__build;
struct conf__option;

/* Reads the value words of one line into b->c; 0 or a negative ERR_* (message set). */
typedef int (*conf__parse_cb)(struct conf__build *b, const struct conf__option *o, char **words);
/* Prints the current value the way the file would take it; 0 or ERR_SPACE. */
typedef int (*conf__print_cb)(const struct conf *c, const struct conf__option *o, char *buf,
                              size_t len);

/** One configuration option: one row of the table in schema.c. */
struct conf__option {
	const char *name;
	enum conf__type type;
	unsigned flags;       /* enum conf__flag */
	size_t offset;        /* offsetof(struct conf, field) */
	size_t size;          /* sizeof the field (numbers) */
	uint64_t min;         /* numbers and sizes: smallest accepted value */
	uint64_t max;         /* ... and largest */
	unsigned nwords;      /* words in the value: 1, or 2 for "PREFIX action" */
	const char *def;      /* the default as the file would write it ("" = none) */
	conf__parse_cb parse; /* NULL: the generic reader for `type` */
	conf__print_cb print; /* NULL: the generic printer for `type` */
	const char *desc;     /* one line for help texts */
};

/* Where an option was last set, for errors found after the whole file is read. */
struct conf__where {
	const char *file; /* NULL: never set (the default holds) */
	unsigned line;
};

/** The state of one conf_load() in progress. */
struct conf__build {
	struct conf *c;   /* the snapshot being filled; freed if the load fails */
	const char *file; /* file being read, for messages */
	unsigned line;    /* line being read, 1-based; 0 outside any file */
	bool in_clause;   /* a "server:" line has been seen */
	char **files;     /* every file name read, kept for `where` */
	size_t n_files;
	struct conf__where *where; /* one per row of the table */
	char *err;
	size_t errlen;
};

/** The option table. */
extern const struct conf__option conf__options[];
/** Number of rows in conf__options. */
extern const size_t conf__n_options;

/** The row for a name, or NULL. */
const struct conf__option *conf__option_find(const char *name);
/** Read a value (the words after the key) into b->c through the row; 0 or ERR_*. */
int conf__option_parse(struct conf__build *b, const struct conf__option *o, char **words);
/** Print a row's current value; 0 or ERR_SPACE (buf then holds a truncated text). */
int conf__option_print(const struct conf *c, const struct conf__option *o, char *buf, size_t len);

/** Add an access-control rule, replacing the action of one with the same prefix; 0 or ERR_NOMEM. */
int conf__acl_add(struct conf *c, const struct conf_acl_rule *r);

/** Read one file (and what it includes) into b; depth 0 for the top file. 0 or ERR_*. */
int conf__parse_file(struct conf__build *b, const char *path, int depth);

/** Write "FILE:LINE: message" into b->err and return code (a negative ERR_*). */
int conf__error(struct conf__build *b, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/** Like conf__error() but at a remembered place. */
int conf__error_at(struct conf__build *b, const struct conf__where *w, int code, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

/** Parse a decimal number with no sign; 0 or ERR_SYNTAX (also on overflow). */
int conf__parse_u64(const char *s, uint64_t *out);
/** Parse a size: a number with an optional k, m or g suffix (1024-based); 0 or ERR_SYNTAX. */
int conf__parse_size(const char *s, uint64_t *out);
/** Print a size with the largest suffix that divides it exactly ("64m"). */
void conf__print_size(uint64_t v, char *buf, size_t len);
/** "dir/name", or name itself when absolute or dir is NULL; malloc'd, NULL when out of memory. */
char *conf__path_join(const char *dir, const char *name);

#endif
