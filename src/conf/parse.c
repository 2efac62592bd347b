/*
 * parse.c - reads mangrove.conf: lines of words, clauses, "name: value",
 * comments, quotes and include.
 *
 * A line is split into words: blanks separate them, '#' outside double
 * quotes starts a comment, and a word in double quotes may hold blanks and
 * '#' (there are no escapes, so a value cannot hold '"'). The first word is
 * "name:"; the rest is the value, handed to the option's row in schema.c.
 * The first error stops the load; it is reported as "FILE:LINE: text".
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mangrove/errors.h"
#include "src/conf/conf_internal.h"

/* Clause names; every option of the table belongs to "server". */
static const char *const clauses[] = {"server"};

static int verror(struct conf__build *b, const char *file, unsigned line, int code, const char *fmt,
                  va_list ap)
{
	if (b->err == NULL || b->errlen == 0)
		return code;
	int n = 0;
	if (file != NULL && line > 0)
		n = snprintf(b->err, b->errlen, "%s:%u: ", file, line);
	else if (file != NULL)
		n = snprintf(b->err, b->errlen, "%s: ", file);
	if (n >= 0 && (size_t)n < b->errlen)
		vsnprintf(b->err + n, b->errlen - (size_t)n, fmt, ap);
	return code;
}

int conf__error(struct conf__build *b, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(b, b->file, b->line, code, fmt, ap);
	va_end(ap);
	return code;
}

int conf__error_at(struct conf__build *b, const struct conf__where *w, int code, const char *fmt,
                   ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(b, w->file, w->line, code, fmt, ap);
	va_end(ap);
	return code;
}

char *conf__path_join(const char *dir, const char *name)
{
	if (dir == NULL || name[0] == '/')
		return strdup(name);
	size_t len = strlen(dir) + strlen(name) + 2;
	char *p = malloc(len);
	if (p != NULL)
		snprintf(p, len, "%s/%s", dir, name);
	return p;
}

/* Ends the word that starts at s; returns where scanning goes on, NULL after an error. */
static char *word_end(struct conf__build *b, char *s, bool *comment)
{
	if (*s == '"') {
		char *end = strchr(s + 1, '"');
		if (end == NULL) {
			conf__error(b, ERR_SYNTAX, "missing closing quote");
			return NULL;
		}
		*end++ = '\0';
		if (*end != '\0' && !isspace((unsigned char)*end) && *end != '#') {
			conf__error(b, ERR_SYNTAX, "junk right after a closing quote");
			return NULL;
		}
		return end;
	}
	char *p = s;
	for (; *p != '\0' && !isspace((unsigned char)*p) && *p != '#'; p++) {
		if (*p == '"') {
			conf__error(b, ERR_SYNTAX, "stray quote (put quotes around a whole value)");
			return NULL;
		}
	}
	*comment = *p == '#';
	if (*p != '\0')
		*p++ = '\0';
	return p;
}

/* Splits a line into words in place; w gets a NULL after the last one. 0 or ERR_SYNTAX. */
static int split_words(struct conf__build *b, char *s, char **w, bool *quoted, size_t *n)
{
	bool comment = false;
	*n = 0;
	while (!comment) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0' || *s == '#')
			break;
		if (*n == CONF__MAX_WORDS)
			return conf__error(b, ERR_SYNTAX, "too many words on one line");
		quoted[*n] = *s == '"';
		w[*n] = quoted[*n] ? s + 1 : s;
		s = word_end(b, s, &comment);
		if (s == NULL)
			return ERR_SYNTAX;
		(*n)++;
	}
	w[*n] = NULL;
	return 0;
}

static bool is_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return false;
	}
	return true;
}

static bool is_clause(const char *name)
{
	for (size_t i = 0; i < sizeof(clauses) / sizeof(clauses[0]); i++) {
		if (strcmp(name, clauses[i]) == 0)
			return true;
	}
	return false;
}

/* Reads one included file; b->file and b->line are the include line's while it opens. */
static int include_one(struct conf__build *b, const char *path, int depth)
{
	const char *file = b->file;
	unsigned line = b->line;
	int rc = conf__parse_file(b, path, depth);
	if (rc == 0) {
		b->file = file;
		b->line = line;
	}
	return rc;
}

/* include: FILE, relative to the including file's folder; a glob pattern may match nothing. */
static int parse_include(struct conf__build *b, const char *pattern, int depth)
{
	if (depth >= CONF__MAX_INCLUDE_DEPTH)
		return conf__error(b, ERR_LIMIT,
		                   "include: more than %d nested includes (does a file include "
		                   "itself?)",
		                   CONF__MAX_INCLUDE_DEPTH);
	char *dir = NULL;
	const char *slash = strrchr(b->file, '/');
	if (slash != NULL)
		dir = strndup(b->file, slash == b->file ? 1 : (size_t)(slash - b->file));
	char *full = conf__path_join(dir, pattern);
	free(dir);
	if (full == NULL)
		return conf__error(b, ERR_NOMEM, "include: out of memory");
	int rc = 0;
	if (strpbrk(full, "*?[") == NULL) {
		rc = include_one(b, full, depth + 1);
		free(full);
		return rc;
	}
	glob_t g;
	int grc = glob(full, 0, NULL, &g);
	if (grc == GLOB_NOSPACE)
		rc = conf__error(b, ERR_NOMEM, "include: out of memory");
	else if (grc != 0 && grc != GLOB_NOMATCH)
		rc = conf__error(b, ERR_IO, "include: cannot read the folders of \"%s\"", full);
	for (size_t i = 0; grc == 0 && rc == 0 && i < g.gl_pathc; i++)
		rc = include_one(b, g.gl_pathv[i], depth + 1);
	if (grc == 0)
		globfree(&g);
	free(full);
	return rc;
}

static int parse_option(struct conf__build *b, const char *name, char **w, size_t n)
{
	const struct conf__option *o = conf__option_find(name);
	if (o == NULL && n == 1)
		return conf__error(b, ERR_SYNTAX,
		                   "unknown clause \"%s\" (the clause is \"server:\")", name);
	if (o == NULL)
		return conf__error(b, ERR_SYNTAX, "unknown option \"%s\"", name);
	if (!b->in_clause)
		return conf__error(b, ERR_SYNTAX,
		                   "%s: outside any clause (put \"server:\" before it)", name);
	if (n == 1)
		return conf__error(b, ERR_SYNTAX, "%s: missing value", name);
	if (n - 1 > o->nwords)
		return conf__error(b, ERR_SYNTAX, "%s: junk after the value: \"%s\"", name,
		                   w[o->nwords + 1]);
	int rc = conf__option_parse(b, o, w + 1);
	if (rc == 0)
		b->where[o - conf__options] = (struct conf__where){b->file, b->line};
	return rc;
}

static int parse_line(struct conf__build *b, char *line, int depth)
{
	char *w[CONF__MAX_WORDS + 1];
	bool quoted[CONF__MAX_WORDS];
	size_t n;
	int rc = split_words(b, line, w, quoted, &n);
	if (rc != 0 || n == 0)
		return rc;
	size_t len = strlen(w[0]);
	if (!quoted[0] && len > 1 && w[0][len - 1] == ':')
		w[0][len - 1] = '\0';
	else
		len = 0;
	if (len == 0 || !is_name(w[0]))
		return conf__error(
		        b, ERR_SYNTAX,
		        "expected \"name: value\" (a space after the colon), found \"%s%s\"", w[0],
		        len == 0 ? "" : ":");
	if (strcmp(w[0], "include") == 0) {
		if (n != 2)
			return conf__error(b, ERR_SYNTAX, "include: %s",
			                   n == 1 ? "missing file name"
			                          : "junk after the file name");
		return parse_include(b, w[1], depth);
	}
	if (is_clause(w[0])) {
		if (n != 1)
			return conf__error(b, ERR_SYNTAX, "junk after \"%s:\"", w[0]);
		b->in_clause = true;
		return 0;
	}
	return parse_option(b, w[0], w, n);
}

/* Keeps every file name for the whole load: `where` entries point at them. */
static const char *keep_name(struct conf__build *b, const char *path)
{
	char **p = realloc(b->files, (b->n_files + 1) * sizeof(*p));
	if (p == NULL)
		return NULL;
	b->files = p;
	p[b->n_files] = strdup(path);
	if (p[b->n_files] == NULL)
		return NULL;
	return p[b->n_files++];
}

static int read_lines(struct conf__build *b, FILE *f, int depth)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		b->line++;
		if (strlen(line) != (size_t)len)
			rc = conf__error(b, ERR_SYNTAX, "the line holds a NUL byte");
		else
			rc = parse_line(b, line, depth);
	}
	if (rc == 0 && ferror(f))
		rc = conf__error(b, ERR_IO, "cannot read: %s", strerror(errno));
	free(line);
	return rc;
}

int conf__parse_file(struct conf__build *b, const char *path, int depth)
{
	FILE *f = fopen(path, "re");
	if (f == NULL && depth == 0)
		return conf__error(b, ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	if (f == NULL)
		return conf__error(b, ERR_IO, "include: cannot open \"%s\": %s", path,
		                   strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		if (depth == 0)
			return conf__error(b, ERR_IO, "%s: cannot open: it is a folder", path);
		return conf__error(b, ERR_IO, "include: cannot open \"%s\": it is a folder", path);
	}
	const char *name = keep_name(b, path);
	if (name == NULL) {
		fclose(f);
		return conf__error(b, ERR_NOMEM, "out of memory");
	}
	b->file = name;
	b->line = 0;
	int rc = read_lines(b, f, depth);
	fclose(f);
	return rc;
}
