/*
 * schema.c - THE option table: one row per option of mangrove.conf, and the
 * readers and printers the rows use.
 *
 * Adding an option means adding a field to struct conf, a row here, and an
 * entry in man/mangrove.conf.5 and etc/mangrove.conf (test_conf checks the
 * last two). The parser, conf_option_get() and the defaults all come from
 * the row; no other file names an option except for the few rules that tie
 * two options together (conf.c, conf__finish). A row flagged
 * CONF__F_PENDING belongs to a feature that is not finished: its entries
 * wait in man/<feature>.roff.in and etc/<feature>.conf.in until it is.
 *
 * Trust anchors are read here, at load, so that `mangrove -n` reports a bad
 * anchor with the line of the anchor file and of the configuration line.
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
#include "mangrove/wire.h"
#include "src/conf/conf_internal.h"

static int parse_interface(struct conf__build *b, const struct conf__option *o, char **words);
static int print_interface(const struct conf *c, const struct conf__option *o, char *buf,
                           size_t len);
static int parse_outgoing(struct conf__build *b, const struct conf__option *o, char **words);
static int print_outgoing(const struct conf *c, const struct conf__option *o, char *buf,
                          size_t len);
static int parse_metrics(struct conf__build *b, const struct conf__option *o, char **words);
static int print_metrics(const struct conf *c, const struct conf__option *o, char *buf, size_t len);
static int parse_control_if(struct conf__build *b, const struct conf__option *o, char **words);
static int print_control_if(const struct conf *c, const struct conf__option *o, char *buf,
                            size_t len);
static int parse_secret_file(struct conf__build *b, const struct conf__option *o, char **words);
static int parse_acl(struct conf__build *b, const struct conf__option *o, char **words);
static int print_acl(const struct conf *c, const struct conf__option *o, char *buf, size_t len);
static int parse_anchor_file(struct conf__build *b, const struct conf__option *o, char **words);
static int parse_anchor_text(struct conf__build *b, const struct conf__option *o, char **words);
static int print_anchor_files(const struct conf *c, const struct conf__option *o, char *buf,
                              size_t len);
static int print_anchor_texts(const struct conf *c, const struct conf__option *o, char *buf,
                              size_t len);
static int parse_insecure(struct conf__build *b, const struct conf__option *o, char **words);
static int print_insecure(const struct conf *c, const struct conf__option *o, char *buf,
                          size_t len);

#define FIELD(f) .offset = offsetof(struct conf, f), .size = sizeof(((struct conf *)0)->f)
#define KIB      1024ull
#define MIB      (1024ull * KIB)
#define GIB      (1024ull * MIB)

#define UINT_ROW_F(n, fl, f, lo, hi, d, text)                                                      \
	{                                                                                          \
		.name = n, .type = CONF__T_UINT, .flags = fl, FIELD(f), .min = lo, .max = hi,      \
		.nwords = 1, .def = d, .desc = text                                                \
	}
#define UINT_ROW(n, f, lo, hi, d, text) UINT_ROW_F(n, 0, f, lo, hi, d, text)
#define BOOL_ROW_F(n, fl, f, d, text)                                                              \
	{                                                                                          \
		.name = n, .type = CONF__T_BOOL, .flags = fl, FIELD(f), .nwords = 1, .def = d,     \
		.desc = text                                                                       \
	}
#define BOOL_ROW(n, f, d, text) BOOL_ROW_F(n, 0, f, d, text)
#define PATH_ROW(n, f, fl, text)                                                                   \
	{                                                                                          \
		.name = n, .type = CONF__T_PATH, .flags = fl, FIELD(f), .nwords = 1, .def = "",    \
		.desc = text                                                                       \
	}

const struct conf__option conf__options[] = {
        /* listening */
        {.name = "interface",
         .type = CONF__T_CUSTOM,
         .flags = CONF__F_LIST | CONF__F_RESTART,
         .nwords = 1,
         .def = "127.0.0.1\n::1",
         .parse = parse_interface,
         .print = print_interface,
         .desc = "address to answer on, ADDR or ADDR@PORT; repeat for more"},
        UINT_ROW_F("port", CONF__F_RESTART, port, 1, 65535, "53",
                   "port for interface lines that give none"),
        UINT_ROW_F("workers", CONF__F_RESTART, workers, 0, 256, "0",
                   "worker threads; 0 = one per CPU"),

        /* clients */
        {.name = "access-control",
         .type = CONF__T_CUSTOM,
         .flags = CONF__F_LIST | CONF__F_BUILTIN,
         .nwords = 2,
         .def = "127.0.0.0/8 allow\n::1/128 allow\n0.0.0.0/0 refuse\n::/0 refuse",
         .parse = parse_acl,
         .print = print_acl,
         .desc = "PREFIX allow|refuse|deny; the longest matching prefix decides"},
        UINT_ROW_F("tcp-max-connections", CONF__F_RESTART, tcp_max_connections, 1, 65535, "1024",
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
         .flags = CONF__F_RESTART,
         FIELD(cache_size),
         .min = 64 * KIB,
         .max = 1024 * GIB,
         .nwords = 1,
         .def = "64m",
         .desc = "memory for the cache, all shards together (k, m, g suffixes)"},
        {.name = "cache-shards",
         .type = CONF__T_UINT,
         .flags = CONF__F_POW2 | CONF__F_RESTART,
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

        /* DNSSEC */
        {.name = "trust-anchor-file",
         .type = CONF__T_CUSTOM,
         .flags = CONF__F_LIST,
         .nwords = 1,
         .def = "",
         .parse = parse_anchor_file,
         .print = print_anchor_files,
         .desc = "zone file of DS or DNSKEY trust anchors; repeat for more"},
        {.name = "trust-anchor",
         .type = CONF__T_CUSTOM,
         .flags = CONF__F_LIST,
         .nwords = CONF__MAX_WORDS - 1, /* so that a missing quote gets its own message */
         .def = "",
         .parse = parse_anchor_text,
         .print = print_anchor_texts,
         .desc = "one DS or DNSKEY record in double quotes; repeat for more"},
        BOOL_ROW_F("root-trust-anchor", 0, root_trust_anchor, "yes",
                   "add the built-in root KSK DS records; default: yes without other anchors"),
        {.name = "domain-insecure",
         .type = CONF__T_CUSTOM,
         .flags = CONF__F_LIST,
         .nwords = 1,
         .def = "",
         .parse = parse_insecure,
         .print = print_insecure,
         .desc = "name below which nothing is validated (RFC 7646); repeat for more"},
        UINT_ROW_F("val-sig-skew", 0, val_sig_skew, 0, 86400, "300",
                   "seconds of clock error allowed around signature validity"),
        UINT_ROW_F("nsec3-max-iterations", 0, nsec3_max_iterations, 0, 65535, "50",
                   "NSEC3 iterations above which an answer is insecure (RFC 9276)"),
        UINT_ROW_F("val-bogus-ttl", 0, val_bogus_ttl, 0, 86400, "60",
                   "seconds an answer that failed validation is cached"),
        BOOL_ROW_F("aggressive-nsec", 0, aggressive_nsec, "yes",
                   "answer NXDOMAIN and NODATA from cached NSEC/NSEC3 (RFC 8198)"),
        BOOL_ROW_F("trust-anchor-signaling", 0, trust_anchor_signaling, "yes",
                   "tell zone operators which anchor keys are trusted (RFC 8145)"),
        UINT_ROW_F("max-sig-checks", 0, max_sig_checks, 1, 1000, "64",
                   "signature verifications one client question may cause"),
        UINT_ROW_F("max-key-tag-collisions", 0, max_key_tag_collisions, 1, 64, "4",
                   "keys with one key tag tried for a signature (KeyTrap)"),
        UINT_ROW_F("max-ds-mismatches", 0, max_ds_mismatches, 1, 100, "8",
                   "DS digests matching no key one client question may cause"),
        UINT_ROW_F("max-nsec3-hashes", 0, max_nsec3_hashes, 1, 10000, "150",
                   "NSEC3 name hashes one client question may cause (CVE-2023-50868)"),

        /* process */
        UINT_ROW("verbosity", verbosity, 0, 5, "1", "log detail, 0 (errors only) to 5"),
        PATH_ROW("logfile", logfile, CONF__F_RESTART, "log file; \"\" = standard error"),
        PATH_ROW("pidfile", pidfile, CONF__F_RESTART,
                 "file to write the process id to; \"\" = none"),
        {.name = "control-socket",
         .type = CONF__T_PATH,
         .flags = CONF__F_RESTART,
         FIELD(control_socket),
         .nwords = 1,
         .def = MANGROVE_RUNDIR "/control.sock",
         .desc = "unix socket for mangrove-control; \"\" = none"},
        {.name = "control-socket-user",
         .type = CONF__T_STRING,
         .flags = CONF__F_RESTART,
         FIELD(control_socket_user),
         .nwords = 1,
         .def = "",
         .desc = "owner of the control socket; \"\" = username, or the starting user"},
        {.name = "control-socket-group",
         .type = CONF__T_STRING,
         .flags = CONF__F_RESTART,
         FIELD(control_socket_group),
         .nwords = 1,
         .def = "",
         .desc = "group of the control socket (its members may use it); \"\" = the owner's"},
        {.name = "metrics-interface",
         .type = CONF__T_CUSTOM,
         .flags = CONF__F_RESTART,
         .nwords = 1,
         .def = "",
         .parse = parse_metrics,
         .print = print_metrics,
         .desc = "ADDR@PORT to serve Prometheus metrics on (GET /metrics); \"\" = none"},
        {.name = "control-interface",
         .type = CONF__T_CUSTOM,
         .flags = CONF__F_RESTART,
         .nwords = 1,
         .def = "",
         .parse = parse_control_if,
         .print = print_control_if,
         .desc = "loopback ADDR@PORT for mangrove-control over TCP; \"\" = none"},
        {.name = "control-secret-file",
         .type = CONF__T_PATH,
         .flags = CONF__F_RESTART,
         FIELD(control_secret_file),
         .nwords = 1,
         .def = "",
         .parse = parse_secret_file,
         .desc = "file with the secret control-interface clients must send"},
        {.name = "username",
         .type = CONF__T_STRING,
         .flags = CONF__F_RESTART,
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

/* metrics-interface: one ADDR@PORT, the port required; "" turns it off. */
/* ADDR@PORT (a port required) into *a and *set; "" clears it. */
static int parse_endpoint(struct conf__build *b, const struct conf__option *o, const char *word,
                          struct sa *a, bool *set)
{
	struct sa v;
	if (word[0] == '\0') {
		*set = false;
		return 0;
	}
	if (strchr(word, '@') == NULL || sa_parse(word, 0, &v) != 0)
		return conf__error(b, ERR_SYNTAX, "%s: \"%s\" is not ADDR@PORT", o->name, word);
	if (sa_port(&v) == 0)
		return conf__error(b, ERR_RANGE, "%s: port 0 in \"%s\" is out of range (1-65535)",
		                   o->name, word);
	*a = v;
	*set = true;
	return 0;
}

static int print_endpoint(const struct sa *a, bool set, char *buf, size_t len)
{
	struct out out = {.buf = buf, .len = len};
	char addr[INET6_ADDRSTRLEN + 8];
	if (set)
		out_add(&out, "%s", sa_str(a, addr, sizeof(addr)));
	else
		out_add(&out, "\"\"");
	return out_end(&out);
}

static int parse_metrics(struct conf__build *b, const struct conf__option *o, char **words)
{
	return parse_endpoint(b, o, words[0], &b->c->metrics_interface,
	                      &b->c->has_metrics_interface);
}

static int print_metrics(const struct conf *c, const struct conf__option *o, char *buf, size_t len)
{
	return print_endpoint(&c->metrics_interface, c->has_metrics_interface, buf, len);
}

/* The control protocol has no encryption: only a loopback address may carry it. */
static int parse_control_if(struct conf__build *b, const struct conf__option *o, char **words)
{
	int rc = parse_endpoint(b, o, words[0], &b->c->control_interface,
	                        &b->c->has_control_interface);
	if (rc == 0 && b->c->has_control_interface && !sa_is_loopback(&b->c->control_interface)) {
		b->c->has_control_interface = false;
		return conf__error(b, ERR_RANGE,
		                   "%s: \"%s\" is not a loopback address (127.0.0.0/8 or ::1): "
		                   "the control protocol is not encrypted",
		                   o->name, words[0]);
	}
	return rc;
}

static int print_control_if(const struct conf *c, const struct conf__option *o, char *buf,
                            size_t len)
{
	return print_endpoint(&c->control_interface, c->has_control_interface, buf, len);
}

/* The secret: one line of at least 16 characters, in a file others cannot read. */
static int read_secret(struct conf__build *b, const struct conf__option *o, const char *path)
{
	char buf[1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return conf__error(b, ERR_IO, "%s: cannot read %s: %s", o->name, path,
		                   strerror(errno));
	struct stat st;
	ssize_t n = fstat(fd, &st) == 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	close(fd);
	if (n < 0)
		return conf__error(b, ERR_IO, "%s: cannot read %s", o->name, path);
	if (st.st_mode & (S_IROTH | S_IWOTH))
		return conf__error(b, ERR_INVAL, "%s: %s may be read by every user (chmod o-rw)",
		                   o->name, path);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	size_t len = strlen(buf);
	if (len < 16 || (size_t)n == sizeof(buf) - 1) {
		explicit_bzero(buf, sizeof(buf));
		return conf__error(b, ERR_RANGE,
		                   "%s: %s must hold one line of 16 to 1000 characters", o->name,
		                   path);
	}
	free(b->c->control_secret);
	b->c->control_secret = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return b->c->control_secret != NULL ? 0 : conf__error(b, ERR_NOMEM, "out of memory");
}

static int parse_secret_file(struct conf__build *b, const struct conf__option *o, char **words)
{
	int rc = parse_text(b, o, words);
	if (rc != 0)
		return rc;
	if (b->c->control_secret_file == NULL) {
		free(b->c->control_secret);
		b->c->control_secret = NULL;
		return 0;
	}
	return read_secret(b, o, b->c->control_secret_file);
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

/* ---- DNSSEC: trust anchors and insecure names ---- */

static int str_append(char ***arr, size_t *n, char *s)
{
	char **p = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (p == NULL)
		return ERR_NOMEM;
	p[*n] = s;
	*arr = p;
	(*n)++;
	return 0;
}

/* Digest sizes of the DS digest types (RFC 4034, 4509, 5933, 6605); 0 for others. */
static size_t ds_digest_len(uint8_t type)
{
	switch (type) {
	case 1:
		return 20; /* SHA-1 */
	case 2:
	case 3:
		return 32; /* SHA-256, GOST R 34.11-94 */
	case 4:
		return 48; /* SHA-384 */
	default:
		return 0;
	}
}

static const char *dnskey_problem(const ldns_rr *rr, char *why, size_t len)
{
	uint16_t flags = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
	uint8_t proto = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
	/* RFC 4034 §2.1.1: without the Zone Key bit the key may not verify RRSIGs. */
	if (!(flags & LDNS_KEY_ZONE_KEY))
		snprintf(why, len, "the DNSKEY is not a zone key (flags %u lack 256)", flags);
	else if (flags & LDNS_KEY_REVOKE_KEY) /* RFC 5011 §2.1 */
		snprintf(why, len, "the DNSKEY is revoked (flags %u hold 128)", flags);
	else if (proto != 3) /* RFC 4034 §2.1.2 */
		snprintf(why, len, "the DNSKEY protocol is %u (it must be 3)", proto);
	else
		return NULL;
	return why;
}

static const char *ds_problem(const ldns_rr *rr, char *why, size_t len)
{
	uint8_t type = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
	size_t have = ldns_rdf_size(ldns_rr_rdf(rr, 3));
	size_t want = ds_digest_len(type);
	/* A truncated or over-long digest is a copying mistake; unknown types are kept. */
	if (want != 0 && have != want) {
		snprintf(why, len, "the DS digest is %zu bytes, digest type %u has %zu", have, type,
		         want);
		return why;
	}
	return NULL;
}

/*
 * What makes a parsed record unusable as a trust anchor, or NULL. Records with
 * an algorithm or digest type the validator does not support are kept: with
 * no usable anchor left at a name the validator treats it as insecure
 * (RFC 4035 §5.2), which is its decision, not the configuration's.
 */
static const char *anchor_problem(const ldns_rr *rr, char *why, size_t len)
{
	ldns_rr_type type = ldns_rr_get_type(rr);
	if (type != LDNS_RR_TYPE_DS && type != LDNS_RR_TYPE_DNSKEY) {
		char *name = ldns_rr_type2str(type);
		snprintf(why, len, "the %s record is not a trust anchor (use DS or DNSKEY)",
		         name != NULL ? name : "");
		free(name);
		return why;
	}
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		snprintf(why, len, "the record's class is not IN");
		return why;
	}
	if (ldns_rr_rd_count(rr) != 4) {
		snprintf(why, len, "the record has %zu fields, not 4", ldns_rr_rd_count(rr));
		return why;
	}
	return type == LDNS_RR_TYPE_DS ? ds_problem(rr, why, len) : dnskey_problem(rr, why, len);
}

/* Moves the records of list, in order, to the end of c->trust_anchors; empties list. */
static int anchors_take(struct conf *c, ldns_rr_list *list)
{
	if (c->trust_anchors == NULL && (c->trust_anchors = ldns_rr_list_new()) == NULL)
		return ERR_NOMEM;
	if (!ldns_rr_list_cat(c->trust_anchors, list))
		return ERR_NOMEM;
	ldns_rr_list_set_rr_count(list, 0); /* the records belong to c now */
	return 0;
}

/* The state of reading one anchor file. */
struct anchor_read {
	FILE *f;
	const char *path;
	int line;
	uint32_t ttl;
	ldns_rdf *origin; /* $ORIGIN, the root until the file says otherwise */
	ldns_rdf *prev;   /* owner of the record before, for lines that start blank */
};

/* Reads the next record: 0 with *rr (NULL at the end), or an error naming path:line. */
static int anchor_next(struct conf__build *b, const struct conf__option *o, struct anchor_read *r,
                       ldns_rr **rr)
{
	char why[160];
	for (*rr = NULL; !feof(r->f);) {
		ldns_status st =
		        ldns_rr_new_frm_fp_l(rr, r->f, &r->ttl, &r->origin, &r->prev, &r->line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (st == LDNS_STATUS_SYNTAX_INCLUDE)
			return conf__error(b, ERR_SYNTAX,
			                   "%s: %s:%d: $INCLUDE is not supported here", o->name,
			                   r->path, r->line);
		if (st == LDNS_STATUS_MEM_ERR)
			return conf__error(b, ERR_NOMEM, "%s: out of memory", o->name);
		if (st != LDNS_STATUS_OK)
			return conf__error(b, ERR_SYNTAX, "%s: %s:%d: cannot parse the record (%s)",
			                   o->name, r->path, r->line, ldns_get_errorstr_by_id(st));
		if (anchor_problem(*rr, why, sizeof(why)) == NULL)
			return 0;
		ldns_rr_free(*rr);
		*rr = NULL;
		return conf__error(b, ERR_SYNTAX, "%s: %s:%d: %s", o->name, r->path, r->line, why);
	}
	if (ferror(r->f))
		return conf__error(b, ERR_IO, "%s: cannot read \"%s\": %s", o->name, r->path,
		                   strerror(errno));
	return 0;
}

/* Every record of an open anchor file into list; an empty file is an error. */
static int anchor_read_all(struct conf__build *b, const struct conf__option *o,
                           struct anchor_read *r, ldns_rr_list *list)
{
	ldns_rr *rr;
	int rc;
	while ((rc = anchor_next(b, o, r, &rr)) == 0 && rr != NULL) {
		if (!ldns_rr_list_push_rr(list, rr)) {
			ldns_rr_free(rr);
			return conf__error(b, ERR_NOMEM, "%s: out of memory", o->name);
		}
	}
	/* With other anchors configured the built-in root one is left out: an empty
	 * file would silently turn validation off. */
	if (rc == 0 && ldns_rr_list_rr_count(list) == 0)
		return conf__error(b, ERR_SYNTAX, "%s: \"%s\" holds no DS or DNSKEY record",
		                   o->name, r->path);
	return rc;
}

static int read_anchor_file(struct conf__build *b, const struct conf__option *o, const char *path)
{
	struct anchor_read r = {.path = path, .ttl = 3600};
	ldns_rr_list *list = ldns_rr_list_new();
	r.origin = ldns_dname_new_frm_str(".");
	r.f = fopen(path, "re");
	int rc;
	if (list == NULL || r.origin == NULL)
		rc = conf__error(b, ERR_NOMEM, "%s: out of memory", o->name);
	else if (r.f == NULL)
		rc = conf__error(b, ERR_IO, "%s: cannot read \"%s\": %s", o->name, path,
		                 strerror(errno));
	else
		rc = anchor_read_all(b, o, &r, list);
	if (rc == 0 && anchors_take(b->c, list) != 0)
		rc = conf__error(b, ERR_NOMEM, "%s: out of memory", o->name);
	if (r.f != NULL)
		fclose(r.f);
	ldns_rdf_deep_free(r.origin);
	ldns_rdf_deep_free(r.prev);
	ldns_rr_list_deep_free(list);
	return rc;
}

/* trust-anchor-file: FILE, relative to the config folder; read and checked now. */
static int parse_anchor_file(struct conf__build *b, const struct conf__option *o, char **words)
{
	if (words[0][0] == '\0')
		return conf__error(b, ERR_SYNTAX, "%s: \"\" is not a file name", o->name);
	char *path = conf__path_join(b->c->dir, words[0]);
	if (path == NULL)
		return conf__error(b, ERR_NOMEM, "%s: out of memory", o->name);
	int rc = check_readable(b, o, path);
	if (rc == 0)
		rc = read_anchor_file(b, o, path);
	if (rc == 0 &&
	    str_append(&b->c->trust_anchor_files, &b->c->n_trust_anchor_files, path) != 0)
		rc = conf__error(b, ERR_NOMEM, "%s: out of memory", o->name);
	if (rc != 0)
		free(path);
	return rc;
}

/* trust-anchor: "RR", one record in presentation format; relative names end at the root. */
static int parse_anchor_text(struct conf__build *b, const struct conf__option *o, char **words)
{
	char why[160];
	if (words[1] != NULL)
		return conf__error(b, ERR_SYNTAX,
		                   "%s: put the record in double quotes (\"NAME DS ...\")",
		                   o->name);
	ldns_rr *rr = NULL;
	ldns_status st = ldns_rr_new_frm_str(&rr, words[0], 3600, NULL, NULL);
	if (st == LDNS_STATUS_MEM_ERR)
		return conf__error(b, ERR_NOMEM, "%s: out of memory", o->name);
	if (st != LDNS_STATUS_OK)
		return conf__error(b, ERR_SYNTAX, "%s: \"%s\" is not a record (%s)", o->name,
		                   words[0], ldns_get_errorstr_by_id(st));
	if (anchor_problem(rr, why, sizeof(why)) != NULL) {
		ldns_rr_free(rr);
		return conf__error(b, ERR_SYNTAX, "%s: %s", o->name, why);
	}
	ldns_rr_list *one = ldns_rr_list_new();
	char *text = strdup(words[0]);
	int rc = one != NULL && text != NULL && ldns_rr_list_push_rr(one, rr) ? 0 : ERR_NOMEM;
	if (rc != 0)
		ldns_rr_free(rr);
	if (rc == 0)
		rc = anchors_take(b->c, one);
	if (rc == 0)
		rc = str_append(&b->c->trust_anchor_texts, &b->c->n_trust_anchor_texts, text);
	ldns_rr_list_deep_free(one);
	if (rc != 0) {
		free(text);
		return conf__error(b, ERR_NOMEM, "%s: out of memory", o->name);
	}
	return 0;
}

/* domain-insecure: NAME, kept lower-cased and once. */
static int parse_insecure(struct conf__build *b, const struct conf__option *o, char **words)
{
	uint8_t name[WIRE_DNAME_MAX];
	size_t len;
	if (wire_dname_from_str(words[0], name, &len) != 0)
		return conf__error(b, ERR_SYNTAX, "%s: \"%s\" is not a domain name", o->name,
		                   words[0]);
	wire_dname_to_lower(name);
	struct conf *c = b->c;
	for (size_t i = 0; i < c->n_domain_insecure; i++) {
		if (wire_dname_equal(c->domain_insecure[i], name))
			return 0;
	}
	uint8_t **p = realloc(c->domain_insecure, (c->n_domain_insecure + 1) * sizeof(*p));
	if (p == NULL)
		return conf__error(b, ERR_NOMEM, "%s: out of memory", o->name);
	c->domain_insecure = p;
	if ((p[c->n_domain_insecure] = malloc(len)) == NULL)
		return conf__error(b, ERR_NOMEM, "%s: out of memory", o->name);
	memcpy(p[c->n_domain_insecure++], name, len);
	return 0;
}

static int print_texts(char *const *v, size_t n, char *buf, size_t len)
{
	struct out out = {.buf = buf, .len = len};
	for (size_t i = 0; i < n; i++) {
		out_add(&out, "%s", i > 0 ? "\n" : "");
		out_text(&out, v[i]);
	}
	return out_end(&out);
}

static int print_anchor_files(const struct conf *c, const struct conf__option *o, char *buf,
                              size_t len)
{
	return print_texts(c->trust_anchor_files, c->n_trust_anchor_files, buf, len);
}

static int print_anchor_texts(const struct conf *c, const struct conf__option *o, char *buf,
                              size_t len)
{
	return print_texts(c->trust_anchor_texts, c->n_trust_anchor_texts, buf, len);
}

static int print_insecure(const struct conf *c, const struct conf__option *o, char *buf, size_t len)
{
	struct out out = {.buf = buf, .len = len};
	char name[WIRE_DNAME_STR_MAX];
	for (size_t i = 0; i < c->n_domain_insecure; i++) {
		wire_dname_to_str(c->domain_insecure[i], name, sizeof(name));
		out_add(&out, "%s", i > 0 ? "\n" : "");
		out_text(&out, name);
	}
	return out_end(&out);
}
