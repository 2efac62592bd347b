/*
 * conf.c - conf_load(): the defaults from the table, then the file, then the
 * rules that need the whole file (interface ports, workers, options that
 * must agree); access-control lookups; option names and values.
 *
 * A load builds a fresh snapshot and either returns all of it or frees all
 * of it: a bad line never leaves a half-changed configuration behind.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mangrove/errors.h"
#include "src/conf/conf_internal.h"

/* Feeds a default text ("value" or several "words" lines) through the row's reader. */
static int apply_text(struct conf__build *b, const struct conf__option *o, const char *text)
{
	char *copy = strdup(text);
	if (copy == NULL)
		return conf__error(b, ERR_NOMEM, "out of memory");
	int rc = 0;
	char *lsave = NULL;
	for (char *l = strtok_r(copy, "\n", &lsave); rc == 0 && l != NULL;
	     l = strtok_r(NULL, "\n", &lsave)) {
		char *w[CONF__MAX_WORDS + 1] = {NULL};
		char *wsave = NULL;
		size_t n = 0;
		for (char *t = strtok_r(l, " ", &wsave); t != NULL && n < CONF__MAX_WORDS;
		     t = strtok_r(NULL, " ", &wsave))
			w[n++] = t;
		rc = conf__option_parse(b, o, w);
	}
	free(copy);
	return rc;
}

/* Before the file: every single value, and the built-in part of lists (access-control). */
static int apply_defaults(struct conf__build *b)
{
	for (size_t i = 0; i < conf__n_options; i++) {
		const struct conf__option *o = &conf__options[i];
		bool list = (o->flags & CONF__F_LIST) != 0;
		if (o->def[0] == '\0' || (list && !(o->flags & CONF__F_BUILTIN)))
			continue;
		int rc = apply_text(b, o, o->def);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* After the file: lists whose default holds only when the file gave none (interface). */
static int apply_list_defaults(struct conf__build *b)
{
	for (size_t i = 0; i < conf__n_options; i++) {
		const struct conf__option *o = &conf__options[i];
		if (!(o->flags & CONF__F_LIST) || (o->flags & CONF__F_BUILTIN) ||
		    b->where[i].file != NULL || o->def[0] == '\0')
			continue;
		int rc = apply_text(b, o, o->def);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* `port` may come after the interface lines, so ports are filled in at the end. */
static void finish_interfaces(struct conf *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n_interfaces; i++) {
		struct sa *a = &c->interfaces[i];
		if (sa_port(a) == 0)
			sa_set_port(a, c->port);
		bool dup = false;
		for (size_t j = 0; j < n && !dup; j++)
			dup = sa_equal(&c->interfaces[j], a);
		if (!dup)
			c->interfaces[n++] = *a;
	}
	c->n_interfaces = n;
}

static void finish_workers(struct conf *c)
{
	if (c->workers != 0)
		return;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		cpus = 1;
	if (cpus > 256)
		cpus = 256;
	c->workers = (unsigned)cpus;
}

/* Where to point an error about two options: the first one set in the file. */
static const struct conf__where *where_of(struct conf__build *b, const char *a, const char *o)
{
	const struct conf__where *wa = &b->where[conf__option_find(a) - conf__options];
	const struct conf__where *wo = &b->where[conf__option_find(o) - conf__options];
	return wa->file != NULL ? wa : wo;
}

static int check_agreement(struct conf__build *b)
{
	const struct conf *c = b->c;
	if (c->cache_min_ttl > c->cache_max_ttl)
		return conf__error_at(b, where_of(b, "cache-min-ttl", "cache-max-ttl"), ERR_RANGE,
		                      "cache-min-ttl (%u) is greater than cache-max-ttl (%u)",
		                      c->cache_min_ttl, c->cache_max_ttl);
	if (c->tcp_max_per_client > c->tcp_max_connections)
		return conf__error_at(
		        b, where_of(b, "tcp-max-connections-per-client", "tcp-max-connections"),
		        ERR_RANGE,
		        "tcp-max-connections-per-client (%u) is greater than tcp-max-connections "
		        "(%u)",
		        c->tcp_max_per_client, c->tcp_max_connections);
	if (c->has_control_interface && c->control_secret == NULL)
		return conf__error_at(b, where_of(b, "control-interface", "control-interface"),
		                      ERR_INVAL,
		                      "control-interface needs control-secret-file: without a "
		                      "secret anyone on the machine could stop the daemon");
	if (!c->do_ip4 && !c->do_ip6)
		return conf__error_at(b, where_of(b, "do-ip4", "do-ip6"), ERR_RANGE,
		                      "do-ip4 and do-ip6 are both no: no upstream server could be "
		                      "reached");
	return 0;
}

/*
 * root-trust-anchor defaults to yes only while no other anchor is configured:
 * an operator who lists anchors (a test root, an island of security) gets
 * exactly those, unless the file asks for the built-in root one as well.
 */
static void finish_root_anchor(struct conf__build *b)
{
	const struct conf__option *o = conf__option_find("root-trust-anchor");
	if (b->where[o - conf__options].file == NULL && b->c->trust_anchors != NULL &&
	    ldns_rr_list_rr_count(b->c->trust_anchors) > 0)
		b->c->root_trust_anchor = false;
}

static int finish(struct conf__build *b)
{
	b->file = NULL;
	b->line = 0;
	int rc = apply_list_defaults(b);
	if (rc != 0)
		return rc;
	finish_interfaces(b->c);
	finish_workers(b->c);
	finish_root_anchor(b);
	return check_agreement(b);
}

/* Stores the file's absolute name and folder: the daemon may chdir before a reload. */
static int set_file(struct conf__build *b, const char *path)
{
	struct conf *c = b->c;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (path[0] == '/') {
		c->file = strdup(path);
	} else {
		char *cwd = getcwd(NULL, 0);
		if (cwd == NULL)
			return conf__error(b, ERR_IO, "%s: cannot find the current folder: %s",
			                   path, strerror(errno));
		c->file = conf__path_join(cwd, path);
		free(cwd);
	}
	if (c->file == NULL)
		return conf__error(b, ERR_NOMEM, "out of memory");
	const char *slash = strrchr(c->file, '/');
	c->dir = strndup(c->file, slash == c->file ? 1 : (size_t)(slash - c->file));
	if (c->dir == NULL)
		return conf__error(b, ERR_NOMEM, "out of memory");
	return 0;
}

static int load(struct conf__build *b, const char *path)
{
	int rc = 0;
	if (path != NULL)
		rc = set_file(b, path);
	if (rc == 0)
		rc = apply_defaults(b);
	if (rc == 0 && path != NULL)
		rc = conf__parse_file(b, path, 0);
	if (rc == 0)
		rc = finish(b);
	return rc;
}

int conf_load(const char *path, struct conf **out, char *err, size_t errlen)
{
	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	struct conf__build b = {.err = err, .errlen = errlen};
	b.c = calloc(1, sizeof(*b.c));
	b.where = calloc(conf__n_options, sizeof(*b.where));
	int rc = b.c != NULL && b.where != NULL ? load(&b, path)
	                                        : conf__error(&b, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < b.n_files; i++)
		free(b.files[i]);
	free(b.files);
	free(b.where);
	if (rc != 0) {
		conf_free(b.c);
		return rc;
	}
	*out = b.c;
	return 0;
}

void conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->file);
	free(c->dir);
	free(c->interfaces);
	free(c->acl);
	free(c->root_hints);
	free(c->outgoing_interfaces);
	free(c->logfile);
	free(c->pidfile);
	free(c->username);
	free(c->control_socket);
	free(c->control_socket_user);
	free(c->control_socket_group);
	free(c->control_secret_file);
	if (c->control_secret != NULL)
		explicit_bzero(c->control_secret, strlen(c->control_secret));
	free(c->control_secret);
	for (size_t i = 0; i < c->n_trust_anchor_files; i++)
		free(c->trust_anchor_files[i]);
	free(c->trust_anchor_files);
	for (size_t i = 0; i < c->n_trust_anchor_texts; i++)
		free(c->trust_anchor_texts[i]);
	free(c->trust_anchor_texts);
	ldns_rr_list_deep_free(c->trust_anchors);
	for (size_t i = 0; i < c->n_domain_insecure; i++)
		free(c->domain_insecure[i]);
	free(c->domain_insecure);
	free(c);
}

/*
 * Longest prefix wins. An IPv4 rule seen by an IPv4-mapped IPv6 client counts
 * as ::ffff:0:0/96 plus its own bits, so 0.0.0.0/0 outranks ::/0 for it; on a
 * tie the rule of the client's own family wins.
 */
enum conf_acl_action conf_acl_check(const struct conf *c, const struct sa *client)
{
	const struct conf_acl_rule *best = NULL;
	unsigned best_len = 0;
	int family = sa_family(client);
	for (size_t i = 0; i < c->n_acl; i++) {
		const struct conf_acl_rule *r = &c->acl[i];
		if (!sa_prefix_match(&r->prefix, client))
			continue;
		unsigned len = r->prefix.bits;
		if (family == AF_INET6 && r->prefix.family == AF_INET)
			len += 96;
		if (best == NULL || len > best_len ||
		    (len == best_len && r->prefix.family == family)) {
			best = r;
			best_len = len;
		}
	}
	return best != NULL ? best->action : CONF_ACL_REFUSE;
}

size_t conf_option_count(void)
{
	return conf__n_options;
}

const char *conf_option_name(size_t i)
{
	return i < conf__n_options ? conf__options[i].name : NULL;
}

size_t conf_restart_diff(const struct conf *old, const struct conf *new_conf, char *names,
                         size_t len)
{
	size_t cap = 256 * 1024, n = 0, used = 0;
	char *a = malloc(cap), *b = malloc(cap);
	if (len > 0)
		names[0] = '\0';
	for (size_t i = 0; i < conf__n_options; i++) {
		const struct conf__option *o = &conf__options[i];
		if (!(o->flags & CONF__F_RESTART))
			continue;
		/* Without memory to print both values, call it a change: refuse, never guess. */
		if (a != NULL && b != NULL) {
			int ra = conf__option_print(old, o, a, cap);
			int rb = conf__option_print(new_conf, o, b, cap);
			if (ra == 0 && rb == 0 && strcmp(a, b) == 0)
				continue;
		}
		int k = snprintf(names + used, len > used ? len - used : 0, "%s%s", n ? ", " : "",
		                 o->name);
		if (k > 0 && used + (size_t)k < len)
			used += (size_t)k;
		n++;
	}
	free(a);
	free(b);
	return n;
}

int conf_option_get(const struct conf *c, const char *name, char *buf, size_t len)
{
	const struct conf__option *o = conf__option_find(name);
	if (o == NULL)
		return ERR_NOTFOUND;
	return conf__option_print(c, o, buf, len);
}
