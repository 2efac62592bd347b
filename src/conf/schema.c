/*
 * schema.c - THE option table: one row per option of mangrove.conf, and the
 * readers and printers the rows use.
 *
 * Adding an option means adding a field to struct conf, a row here, and an
 * entry in man/mangrove.conf.5 and etc/mangrove.conf (test_conf checks the
 * last two). The parser, conf_option_get() and the defaults all come from
 * the row; no other file names an option except for the few rules that tie
 * two options together (conf.c, conf__finish).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mangrove/errors.h"
#include "src/conf/conf_internal.h"

static int parse_interface(struct conf__build *b, const struct conf__option *o, char **words);
static int print_interface(const struct conf *c, const struct conf__option *o, char *buf,
                           size_t len);
static int parse_outgoing(struct conf__build *b, const struct conf__option *o, char **words);
static int print_outgoing(const struct conf *c, const struct conf__option *o, char *buf,
                          size_t len);
static int parse_acl(struct conf__build *b, const struct conf__option *o, char **words);
static int print_acl(const struct conf *c, const struct conf__option *o, char *buf, size_t len);

#define FIELD(f) .offset = offsetof(struct conf, f), .size = sizeof(((struct conf *)0)->f)
#define KIB      1024ull
#define MIB      (1024ull * KIB)
#define GIB      (1024ull * MIB)

#define UINT_ROW(n, f, lo, hi, d, text)                                                            \
	{                                                                                          \
		.name = n, .type = CONF__T_UINT, FIELD(f), .min = lo, .max = hi, .nwords = 1,      \
		.def = d, .desc = text                                                             \
	}
#define BOOL_ROW(n, f, d, text)                                                                    \
	{                                                                                          \
		.name = n, .type = CONF__T_BOOL, FIELD(f), .nwords = 1, .def = d, .desc = text     \
	}
#define PATH_ROW(n, f, fl, text)                                                                   \
	{                                                                                          \
		.name = n, .type = CONF__T_PATH, .flags = fl, FIELD(f), .nwords = 1, .def = "",    \
		.desc = text                                                                       \
	}

const struct conf__option conf__options[] = {
        /* listening */
        {.name = "interface",
         .type = CONF__T_CUSTOM,
         .flags = CONF__F_LIST,
         .nwords = 1,
         .def = "127.0.0.1\n::1",
         .parse = parse_interface,
         .print = print_interface,
         .desc = "address to answer on, ADDR or ADDR@PORT; repeat for more"},
        UINT_ROW("port", port, 1, 65535, "53", "port for interface lines that give none"),
        UINT_ROW("workers", workers, 0, 256, "0", "worker threads; 0 = one per CPU"),

        /* clients */
        {.name = "access-control",
         .type = CONF__T_CUSTOM,
         .flags = CONF__F_LIST | CONF__F_BUILTIN,
         .nwords = 2,
         .def = "127.0.0.0/8 allow\n::1/128 allow\n0.0.0.0/0 refuse\n::/0 refuse",
         .parse = parse_acl,
         .print = print_acl,
         .desc = "PREFIX allow|refuse|deny; the longest matching prefix decides"},
        UINT_ROW("tcp-max-connections", tcp_max_connections, 1, 65535, "1024",
                 "open TCP client connections per worker"),
        UINT_ROW("tcp-max-connections-per-client", tcp_max_per_client, 1, 65535, "64",
                 "open TCP connections from one client address per worker"),
        UINT_ROW("tcp-idle-timeout", tcp_idle_timeout_ms, 100, 120000, "10000",
                 "milliseconds an idle TCP client connection is kept"),

        /* upstream */
        PATH_ROW("root-hints", root_hints, CONF__F_READABLE,
                 "file with the root servers; \"\" = the built-in IANA list"),
        BOOL_ROW("qname-minimisation", qname_minimisation, "yes",
                 "send upstream only the labels each server needs (RFC 9156)"),
        BOOL_ROW("do-ip4", do_ip4, "yes", "query authoritative servers over IPv4"),
        BOOL_ROW("do-ip6", do_ip6, "yes", "query authoritative servers over IPv6"),
        BOOL_ROW("do-not-query-localhost", do_not_query_localhost, "yes",
                 "never send queries to 127.0.0.0/8 or ::1"),
        {.name = "outgoing-interface",
         .type = CONF__T_CUSTOM,
         .flags = CONF__F_LIST,
         .nwords = 1,
         .def = "",
         .parse = parse_outgoing,
         .print = print_outgoing,
         .desc = "source address for upstream queries; repeat for more; none = any"},
        UINT_ROW("edns-buffer-size", edns_buffer_size, 512, 4096, "1232",
                 "EDNS UDP payload size advertised upstream and to clients"),

        /* cache */
        {.name = "cache-size",
         .type = CONF__T_SIZE,
         FIELD(cache_size),
         .min = 64 * KIB,
         .max = 1024 * GIB,
         .nwords = 1,
         .def = "64m",
         .desc = "memory for the cache, all shards together (k, m, g suffixes)"},
        {.name = "cache-shards",
         .type = CONF__T_UINT,
         .flags = CONF__F_POW2,
         FIELD(cache_shards),
         .min = 1,
         .max = 1024,
         .nwords = 1,
         .def = "64",
         .desc = "independently locked parts of the cache, a power of two"},
        UINT_ROW("cache-min-ttl", cache_min_ttl, 0, 86400, "0",
                 "seconds: shorter TTLs are raised to this"),
        UINT_ROW("cache-max-ttl", cache_max_ttl, 1, 2147483647, "86400",
                 "seconds: longer TTLs are cut to this"),
        UINT_ROW("cache-max-negative-ttl", cache_max_negative_ttl, 0, 86400, "3600",
                 "seconds: NXDOMAIN and NODATA answers are kept at most this long"),

        /* limits (DESIGN.md "Limits") */
        UINT_ROW("max-queries-per-request", max_queries_per_request, 1, 1000, "64",
                 "outbound queries one client question may cause"),
        UINT_ROW("max-referrals", max_referrals, 1, 100, "30",
                 "referrals followed for one question"),
        UINT_ROW("max-cname-chain", max_cname_chain, 1, 100, "12",
                 "CNAME and DNAME records followed for one question"),
        UINT_ROW("max-ns-lookups", max_ns_lookups, 1, 100, "6",
                 "NS names without glue resolved per delegation"),
        UINT_ROW("max-subqueries", max_subqueries, 1, 1000, "16",
                 "glue-less sub-queries one client question may start"),
        UINT_ROW("request-timeout", request_timeout_ms, 100, 120000, "10000",
                 "milliseconds a request may live before SERVFAIL"),
        UINT_ROW("max-inflight", max_inflight, 1, 1000000, "4096",
                 "requests in progress per worker"),

        /* process */
        UINT_ROW("verbosity", verbosity, 0, 5, "1", "log detail, 0 (errors only) to 5"),
        PATH_ROW("logfile", logfile, 0, "log file; \"\" = standard error"),
        PATH_ROW("pidfile", pidfile, 0, "file to write the process id to; \"\" = none"),
        {.name = "username",
         .type = CONF__T_STRING,
         FIELD(username),
         .nwords = 1,
         .def = "",
         .desc = "user to switch to after binding; \"\" = keep the starting user"},
};

const size_t conf__n_options = sizeof(conf__options) / sizeof(conf__options[0]);

static const char *const acl_action_names[] = {
        [CONF_ACL_ALLOW] = "allow",
        [CONF_ACL_REFUSE] = "refuse",
        [CONF_ACL_DENY] = "deny",
};

const struct conf__option *conf__option_find(const char *name)
{
	for (size_t i = 0; i < conf__n_options; i++) {
		if (strcmp(conf__options[i].name, name) == 0)
			return &conf__options[i];
	}
	return NULL;
}

static void *field_of(struct conf *c, const struct conf__option *o)
{
	return (char *)c + o->offset;
}

static const void *cfield_of(const struct conf *c, const struct conf__option *o)
{
	return (const char *)c + o->offset;
}

/* ---- numbers ---- */

/* Reads the digits at *s; ERR_SYNTAX when there are none, ERR_RANGE on overflow. */
static int parse_digits(const char **s, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;
	if (!isdigit((unsigned char)*p))
		return ERR_SYNTAX;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return ERR_RANGE;
		v = v * 10 + d;
	}
	*s = p;
	*out = v;
	return 0;
}

int conf__parse_u64(const char *s, uint64_t *out)
{
	int rc = parse_digits(&s, out);
	if (rc != 0)
		return rc;
	return *s == '\0' ? 0 : ERR_SYNTAX;
}

int conf__parse_size(const char *s, uint64_t *out)
{
	uint64_t v, mult = 1;
	int rc = parse_digits(&s, &v);
	if (rc != 0)
		return rc;
	switch (tolower((unsigned char)*s)) {
	case '\0':
		break;
	case 'k':
		mult = KIB;
		break;
	case 'm':
		mult = MIB;
		break;
	case 'g':
		mult = GIB;
		break;
	default:
		return ERR_SYNTAX;
	}
	if (*s != '\0' && s[1] != '\0')
		return ERR_SYNTAX;
	if (v > UINT64_MAX / mult)
		return ERR_RANGE;
	*out = v * mult;
	return 0;
}

void conf__print_size(uint64_t v, char *buf, size_t len)
{
	static const char suffix[] = "gmk";
	static const uint64_t unit[] = {GIB, MIB, KIB};
	for (size_t i = 0; i < 3; i++) {
		if (v != 0 && v % unit[i] == 0) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(v / unit[i]), suffix[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void store_uint(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)p = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)p = (uint32_t)v;
		break;
	default:
		*(uint64_t *)p = v;
		break;
	}
}

static uint64_t load_uint(const void *p, size_t size)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		return *(const uint16_t *)p;
	case 4:
		return *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

static int range_error(struct conf__build *b, const struct conf__option *o, const char *text)
{
	char lo[32], hi[32];
	if (o->type == CONF__T_SIZE) {
		conf__print_size(o->min, lo, sizeof(lo));
		conf__print_size(o->max, hi, sizeof(hi));
	} else {
		snprintf(lo, sizeof(lo), "%llu", (unsigned long long)o->min);
		snprintf(hi, sizeof(hi), "%llu", (unsigned long long)o->max);
	}
	return conf__error(b, ERR_RANGE, "%s: %s is out of range (%s-%s)", o->name, text, lo, hi);
}

static int parse_number(struct conf__build *b, const struct conf__option *o, char **words)
{
	uint64_t v;
	bool size = o->type == CONF__T_SIZE;
	int rc = size ? conf__parse_size(words[0], &v) : conf__parse_u64(words[0], &v);
	if (rc == ERR_RANGE)
		return range_error(b, o, words[0]);
	if (rc != 0 && size)
		return conf__error(
		        b, ERR_SYNTAX,
		        "%s: \"%s\" is not a size (use a number with optional k, m or g)", o->name,
		        words[0]);
	if (rc != 0)
		return conf__error(b, ERR_SYNTAX, "%s: \"%s\" is not a number (use digits only)",
		                   o->name, words[0]);
	if (v < o->min || v > o->max)
		return range_error(b, o, words[0]);
	if ((o->flags & CONF__F_POW2) && (v & (v - 1)) != 0)
		return conf__error(b, ERR_RANGE,
		                   "%s: %s is not a power of two (use 1, 2, 4, 8 ...)", o->name,
		                   words[0]);
	store_uint(field_of(b->c, o), o->size, v);
	return 0;
}

/* ---- yes/no, text, paths ---- */

static int parse_bool(struct conf__build *b, const struct conf__option *o, char **words)
{
	bool v;
	if (strcmp(words[0], "yes") == 0)
		v = true;
	else if (strcmp(words[0], "no") == 0)
		v = false;
	else
		return conf__error(b, ERR_SYNTAX, "%s: \"%s\" is not yes or no", o->name, words[0]);
	*(bool *)field_of(b->c, o) = v;
	return 0;
}

static int check_readable(struct conf__build *b, const struct conf__option *o, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return conf__error(b, ERR_IO, "%s: cannot read \"%s\": %s", o->name, path,
		                   strerror(errno));
	int rc = fstat(fd, &st);
	close(fd);
	if (rc != 0 || !S_ISREG(st.st_mode))
		return conf__error(b, ERR_IO, "%s: cannot read \"%s\": not a regular file", o->name,
		                   path);
	return 0;
}

static int parse_text(struct conf__build *b, const struct conf__option *o, char **words)
{
	char **slot = field_of(b->c, o);
	char *v = NULL;
	if (o->type == CONF__T_STRING)
		v = strdup(words[0]);
	else if (words[0][0] != '\0')
		v = conf__path_join(b->c->dir, words[0]);
	else
		goto store; /* "" = none */
	if (v == NULL)
		return conf__error(b, ERR_NOMEM, "%s: out of memory", o->name);
	if (o->flags & CONF__F_READABLE) {
		int rc = check_readable(b, o, v);
		if (rc != 0) {
			free(v);
			return rc;
		}
	}
store:
	free(*slot);
	*slot = v;
	return 0;
}

/* ---- printing ---- */

/* A bounded text builder: remembers when something did not fit. */
struct out {
	char *buf;
	size_t len;
	size_t pos;
	bool truncated;
};

static void out_add(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_add(struct out *o, const char *fmt, ...)
{
	if (o->pos >= o->len) {
		o->truncated = true;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos) {
		o->truncated = true;
		o->pos = o->len;
		return;
	}
	o->pos += (size_t)n;
}

static int out_end(struct out *o)
{
	return o->truncated ? ERR_SPACE : 0;
}

/* Text as the file takes it: quoted when empty or when it holds blanks or '#'. */
static void out_text(struct out *o, const char *s)
{
	bool quote = s[0] == '\0' || strpbrk(s, " \t\r\n#") != NULL;
	out_add(o, quote ? "\"%s\"" : "%s", s);
}

static int print_generic(const struct conf *c, const struct conf__option *o, struct out *out)
{
	const void *p = cfield_of(c, o);
	char tmp[32];
	switch (o->type) {
	case CONF__T_BOOL:
		out_add(out, "%s", *(const bool *)p ? "yes" : "no");
		break;
	case CONF__T_UINT:
		out_add(out, "%llu", (unsigned long long)load_uint(p, o->size));
		break;
	case CONF__T_SIZE:
		conf__print_size(load_uint(p, o->size), tmp, sizeof(tmp));
		out_add(out, "%s", tmp);
		break;
	case CONF__T_PATH:
	case CONF__T_STRING: {
		const char *s = *(char *const *)p;
		out_text(out, s == NULL ? "" : s);
		break;
	}
	case CONF__T_CUSTOM:
		return ERR_INVAL;
	}
	return 0;
}

int conf__option_parse(struct conf__build *b, const struct conf__option *o, char **words)
{
	if (o->parse != NULL)
		return o->parse(b, o, words);
	switch (o->type) {
	case CONF__T_BOOL:
		return parse_bool(b, o, words);
	case CONF__T_UINT:
	case CONF__T_SIZE:
		return parse_number(b, o, words);
	case CONF__T_PATH:
	case CONF__T_STRING:
		return parse_text(b, o, words);
	case CONF__T_CUSTOM:
		break;
	}
	return conf__error(b, ERR_INVAL, "%s: no reader for this option", o->name);
}

int conf__option_print(const struct conf *c, const struct conf__option *o, char *buf, size_t len)
{
	if (len == 0)
		return ERR_SPACE;
	buf[0] = '\0';
	if (o->print != NULL)
		return o->print(c, o, buf, len);
	struct out out = {.buf = buf, .len = len};
	int rc = print_generic(c, o, &out);
	return rc != 0 ? rc : out_end(&out);
}

/* ---- addresses ---- */

static int sa_append(struct sa **arr, size_t *n, const struct sa *a)
{
	struct sa *p = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (p == NULL)
		return ERR_NOMEM;
	p[*n] = *a;
	*arr = p;
	(*n)++;
	return 0;
}

/* Port 0 means "none given": conf__finish() fills in `port` once the whole file is read. */
static int parse_interface(struct conf__build *b, const struct conf__option *o, char **words)
{
	struct sa a;
	if (sa_parse(words[0], 0, &a) != 0)
		return conf__error(b, ERR_SYNTAX,
		                   "%s: \"%s\" is not an address (use ADDR or ADDR@PORT)", o->name,
		                   words[0]);
	if (strchr(words[0], '@') != NULL && sa_port(&a) == 0)
		return conf__error(b, ERR_RANGE, "%s: port 0 in \"%s\" is out of range (1-65535)",
		                   o->name, words[0]);
	if (sa_append(&b->c->interfaces, &b->c->n_interfaces, &a) != 0)
		return conf__error(b, ERR_NOMEM, "%s: out of memory", o->name);
	return 0;
}

/* The port is left out when it is the one `port` gives, so the default reads "127.0.0.1". */
static int print_interface(const struct conf *c, const struct conf__option *o, char *buf,
                           size_t len)
{
	struct out out = {.buf = buf, .len = len};
	char addr[INET6_ADDRSTRLEN + 8];
	for (size_t i = 0; i < c->n_interfaces; i++) {
		const struct sa *a = &c->interfaces[i];
		out_add(&out, "%s", i > 0 ? "\n" : "");
		if (sa_port(a) == c->port || sa_port(a) == 0)
			out_add(&out, "%s", sa_addr_str(a, addr, sizeof(addr)));
		else
			out_add(&out, "%s", sa_str(a, addr, sizeof(addr)));
	}
	return out_end(&out);
}

static int parse_outgoing(struct conf__build *b, const struct conf__option *o, char **words)
{
	struct sa a;
	if (strchr(words[0], '@') != NULL)
		return conf__error(b, ERR_SYNTAX,
		                   "%s: \"%s\" takes no port (give the address only)", o->name,
		                   words[0]);
	if (sa_parse(words[0], 0, &a) != 0)
		return conf__error(b, ERR_SYNTAX, "%s: \"%s\" is not an address", o->name,
		                   words[0]);
	if (sa_append(&b->c->outgoing_interfaces, &b->c->n_outgoing_interfaces, &a) != 0)
		return conf__error(b, ERR_NOMEM, "%s: out of memory", o->name);
	return 0;
}

static int print_outgoing(const struct conf *c, const struct conf__option *o, char *buf, size_t len)
{
	struct out out = {.buf = buf, .len = len};
	char addr[INET6_ADDRSTRLEN];
	for (size_t i = 0; i < c->n_outgoing_interfaces; i++) {
		out_add(&out, "%s%s", i > 0 ? "\n" : "",
		        sa_addr_str(&c->outgoing_interfaces[i], addr, sizeof(addr)));
	}
	return out_end(&out);
}

/* ---- access control ---- */

static bool prefix_equal(const struct sa_prefix *a, const struct sa_prefix *b)
{
	return a->family == b->family && a->bits == b->bits && memcmp(a->addr, b->addr, 16) == 0;
}

int conf__acl_add(struct conf *c, const struct conf_acl_rule *r)
{
	for (size_t i = 0; i < c->n_acl; i++) {
		if (prefix_equal(&c->acl[i].prefix, &r->prefix)) {
			c->acl[i].action = r->action; /* same prefix: the later line replaces */
			return 0;
		}
	}
	struct conf_acl_rule *p = realloc(c->acl, (c->n_acl + 1) * sizeof(*p));
	if (p == NULL)
		return ERR_NOMEM;
	p[c->n_acl++] = *r;
	c->acl = p;
	return 0;
}

static int parse_acl(struct conf__build *b, const struct conf__option *o, char **words)
{
	struct conf_acl_rule r;
	if (sa_prefix_parse(words[0], &r.prefix) != 0)
		return conf__error(b, ERR_SYNTAX,
		                   "%s: \"%s\" is not an address prefix (use ADDR/BITS)", o->name,
		                   words[0]);
	if (words[1] == NULL)
		return conf__error(b, ERR_SYNTAX,
		                   "%s: \"%s\" has no action (add allow, refuse or deny)", o->name,
		                   words[0]);
	size_t i;
	for (i = 0; i < sizeof(acl_action_names) / sizeof(acl_action_names[0]); i++) {
		if (strcmp(words[1], acl_action_names[i]) == 0)
			break;
	}
	if (i == sizeof(acl_action_names) / sizeof(acl_action_names[0]))
		return conf__error(b, ERR_SYNTAX, "%s: \"%s\" is not allow, refuse or deny",
		                   o->name, words[1]);
	r.action = (enum conf_acl_action)i;
	if (conf__acl_add(b->c, &r) != 0)
		return conf__error(b, ERR_NOMEM, "%s: out of memory", o->name);
	return 0;
}

static int print_acl(const struct conf *c, const struct conf__option *o, char *buf, size_t len)
{
	struct out out = {.buf = buf, .len = len};
	char addr[INET6_ADDRSTRLEN];
	for (size_t i = 0; i < c->n_acl; i++) {
		const struct conf_acl_rule *r = &c->acl[i];
		if (inet_ntop(r->prefix.family, r->prefix.addr, addr, sizeof(addr)) == NULL)
			snprintf(addr, sizeof(addr), "?");
		out_add(&out, "%s%s/%u %s", i > 0 ? "\n" : "", addr, r->prefix.bits,
		        acl_action_names[r->action]);
	}
	return out_end(&out);
}
