/*
 * test_conf.c - the configuration: defaults, every option, include, every
 * kind of error with its "file:line:" prefix, access control, option
 * printing, and the check that every option is documented.
 *
 * The sample files are in tests/unit/conf/; the tree is found with SRCDIR.
 */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mangrove/conf.h"
#include "mangrove/errors.h"
#include "src/conf/conf_internal.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif
#define CONFDIR SRCDIR "/tests/unit/conf"

/* ---- helpers ---- */

static struct conf *load_ok(const char *path)
{
	struct conf *c = NULL;
	char err[1024];
	int rc = conf_load(path, &c, err, sizeof(err));
	if (rc != 0)
		print_error("conf_load(%s): %s\n", path ? path : "NULL", err);
	assert_int_equal(rc, 0);
	assert_non_null(c);
	return c;
}

/* Loads CONFDIR/name and expects code and exactly "CONFDIR/name" + the formatted text. */
static void expect_error(const char *name, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void expect_error(const char *name, int code, const char *fmt, ...)
{
	char path[PATH_MAX], text[1024], expected[PATH_MAX + 1024], err[1024];
	snprintf(path, sizeof(path), CONFDIR "/%s", name);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(expected, sizeof(expected), "%s%s", path, text);
	struct conf *c = (struct conf *)&c; /* must come back NULL */
	int rc = conf_load(path, &c, err, sizeof(err));
	assert_int_equal(rc, code);
	assert_null(c);
	assert_string_equal(err, expected);
}

static void get(const struct conf *c, const char *name, char *buf, size_t len)
{
	assert_int_equal(conf_option_get(c, name, buf, len), 0);
}

static struct sa addr(const char *text)
{
	struct sa a;
	assert_int_equal(sa_parse(text, 0, &a), 0);
	return a;
}

static void assert_sa(const struct sa *a, const char *text)
{
	char buf[80];
	assert_string_equal(sa_str(a, buf, sizeof(buf)), text);
}

static enum conf_acl_action acl(const struct conf *c, const char *client)
{
	struct sa a = addr(client);
	return conf_acl_check(c, &a);
}

/* CONFDIR/rel made absolute the way conf_load() does it (SRCDIR may be "."). */
static void abs_conf(const char *rel, char *out, size_t len)
{
	const char *dir = CONFDIR;
	char cwd[PATH_MAX];
	while (dir[0] == '.' && dir[1] == '/')
		dir += 2;
	if (dir[0] == '/') {
		snprintf(out, len, "%s%s", dir, rel);
		return;
	}
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(out, len, "%s/%s%s", cwd, dir, rel);
}

static unsigned cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

/* A scratch folder for files a test writes; removed by tmp_done(). */
struct tmp {
	char dir[64];
	char names[16][32];
	size_t n;
};

static void tmp_init(struct tmp *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/mangrove-test-conf-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
}

/* Writes dir/name and returns its path in path; a name written again is replaced. */
static void tmp_write(struct tmp *t, const char *name, const char *text, char *path, size_t len)
{
	bool known = false;
	for (size_t i = 0; i < t->n && !known; i++)
		known = strcmp(t->names[i], name) == 0;
	if (!known) {
		assert_true(t->n < 16);
		snprintf(t->names[t->n++], sizeof(t->names[0]), "%s", name);
	}
	snprintf(path, len, "%s/%s", t->dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void tmp_done(struct tmp *t)
{
	char path[128];
	for (size_t i = 0; i < t->n; i++) {
		snprintf(path, sizeof(path), "%s/%s", t->dir, t->names[i]);
		unlink(path);
	}
	rmdir(t->dir);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	int ch;
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, m);
	fclose(f);
	fclose(m);
	return buf;
}

/* ---- defaults ---- */

static void test_conf_load_defaults(void **state)
{
	struct conf *c = load_ok(NULL);
	assert_null(c->file);
	assert_null(c->dir);
	assert_int_equal(c->n_interfaces, 2);
	assert_sa(&c->interfaces[0], "127.0.0.1@53");
	assert_sa(&c->interfaces[1], "::1@53");
	assert_int_equal(c->port, 53);
	assert_int_equal(c->workers, cpus());
	assert_int_equal(c->n_acl, 4);
	assert_int_equal(c->tcp_max_connections, 1024);
	assert_int_equal(c->tcp_max_per_client, 64);
	assert_int_equal(c->tcp_idle_timeout_ms, 10000);
	assert_null(c->root_hints);
	assert_true(c->qname_minimisation);
	assert_true(c->do_ip4);
	assert_true(c->do_ip6);
	assert_true(c->do_not_query_localhost);
	assert_null(c->outgoing_interfaces);
	assert_int_equal(c->n_outgoing_interfaces, 0);
	assert_int_equal(c->edns_buffer_size, 1232);
	assert_int_equal(c->cache_size, 64ull << 20);
	assert_int_equal(c->cache_shards, 64);
	assert_int_equal(c->cache_min_ttl, 0);
	assert_int_equal(c->cache_max_ttl, 86400);
	assert_int_equal(c->cache_max_negative_ttl, 3600);
	assert_int_equal(c->max_queries_per_request, 64);
	assert_int_equal(c->max_referrals, 30);
	assert_int_equal(c->max_cname_chain, 12);
	assert_int_equal(c->max_ns_lookups, 6);
	assert_int_equal(c->max_subqueries, 16);
	assert_int_equal(c->request_timeout_ms, 10000);
	assert_int_equal(c->max_inflight, 4096);
	assert_int_equal(c->verbosity, 1);
	assert_null(c->logfile);
	assert_null(c->pidfile);
	assert_true(c->username == NULL || c->username[0] == '\0');
	assert_int_equal(c->n_trust_anchor_files, 0);
	assert_int_equal(c->n_trust_anchor_texts, 0);
	assert_null(c->trust_anchors);
	assert_true(c->root_trust_anchor);
	assert_int_equal(c->n_domain_insecure, 0);
	assert_int_equal(c->val_sig_skew, 300);
	assert_int_equal(c->nsec3_max_iterations, 50);
	assert_int_equal(c->val_bogus_ttl, 60);
	assert_true(c->aggressive_nsec);
	assert_true(c->trust_anchor_signaling);
	assert_int_equal(c->max_sig_checks, 64);
	assert_int_equal(c->max_key_tag_collisions, 4);
	assert_int_equal(c->max_ds_mismatches, 8);
	assert_int_equal(c->max_nsec3_hashes, 150);
	conf_free(c);
}

static void test_conf_load_defaults_acl(void **state)
{
	struct conf *c = load_ok(NULL);
	assert_int_equal(acl(c, "127.0.0.1"), CONF_ACL_ALLOW);
	assert_int_equal(acl(c, "127.200.1.1"), CONF_ACL_ALLOW);
	assert_int_equal(acl(c, "::1"), CONF_ACL_ALLOW);
	assert_int_equal(acl(c, "::ffff:127.0.0.1"), CONF_ACL_ALLOW);
	assert_int_equal(acl(c, "192.0.2.1"), CONF_ACL_REFUSE);
	assert_int_equal(acl(c, "2001:db8::1"), CONF_ACL_REFUSE);
	assert_int_equal(acl(c, "::ffff:192.0.2.1"), CONF_ACL_REFUSE);
	conf_free(c);
}

/* The schema's default text is what a default snapshot prints (workers is resolved). */
static void test_conf_option_get_defaults_match_schema(void **state)
{
	struct conf *c = load_ok(NULL);
	char buf[1024];
	for (size_t i = 0; i < conf__n_options; i++) {
		const struct conf__option *o = &conf__options[i];
		if (strcmp(o->name, "workers") == 0)
			continue;
		get(c, o->name, buf, sizeof(buf));
		const char *want = o->def;
		if (o->def[0] == '\0' && !(o->flags & CONF__F_LIST))
			want = "\"\"";
		if (strcmp(buf, want) != 0)
			print_error("%s: prints \"%s\", schema says \"%s\"\n", o->name, buf, want);
		assert_string_equal(buf, want);
	}
	conf_free(c);
}

static void test_conf_load_workers_zero_resolved(void **state)
{
	struct tmp t;
	char path[128];
	tmp_init(&t);
	tmp_write(&t, "w.conf", "server:\n\tworkers: 0\n", path, sizeof(path));
	struct conf *c = load_ok(path);
	assert_int_equal(c->workers, cpus());
	assert_true(c->workers >= 1);
	conf_free(c);
	tmp_done(&t);
}

/* ---- a file with every option ---- */

static void test_conf_load_good_file(void **state)
{
	char want[PATH_MAX + 64];
	struct conf *c = load_ok(CONFDIR "/good.conf");
	abs_conf("/good.conf", want, sizeof(want));
	assert_string_equal(c->file, want);
	abs_conf("", want, sizeof(want));
	assert_string_equal(c->dir, want);
	assert_int_equal(c->port, 5353);
	assert_int_equal(c->n_interfaces, 2);
	assert_sa(&c->interfaces[0], "192.0.2.1@5353");
	assert_sa(&c->interfaces[1], "2001:db8::1@853");
	assert_int_equal(c->workers, 3);
	assert_int_equal(c->n_acl, 6);
	assert_int_equal(c->tcp_max_connections, 2048);
	assert_int_equal(c->tcp_max_per_client, 8);
	assert_int_equal(c->tcp_idle_timeout_ms, 5000);
	abs_conf("/../../../etc/root.hints", want, sizeof(want));
	assert_string_equal(c->root_hints, want);
	assert_false(c->qname_minimisation);
	assert_false(c->do_ip4);
	assert_true(c->do_ip6);
	assert_false(c->do_not_query_localhost);
	assert_int_equal(c->n_outgoing_interfaces, 2);
	assert_sa(&c->outgoing_interfaces[0], "192.0.2.10@0");
	assert_sa(&c->outgoing_interfaces[1], "2001:db8::10@0");
	assert_int_equal(c->edns_buffer_size, 1400);
	assert_int_equal(c->cache_size, 2ull << 30);
	assert_int_equal(c->cache_shards, 128);
	assert_int_equal(c->cache_min_ttl, 30);
	assert_int_equal(c->cache_max_ttl, 3600);
	assert_int_equal(c->cache_max_negative_ttl, 900);
	assert_int_equal(c->max_queries_per_request, 100);
	assert_int_equal(c->max_referrals, 20);
	assert_int_equal(c->max_cname_chain, 8);
	assert_int_equal(c->max_ns_lookups, 4);
	assert_int_equal(c->max_subqueries, 10);
	assert_int_equal(c->request_timeout_ms, 5000);
	assert_int_equal(c->max_inflight, 10000);
	assert_int_equal(c->verbosity, 3);
	assert_string_equal(c->logfile, "/var/log/mangrove log.txt");
	assert_string_equal(c->pidfile, "/run/mangrove.pid");
	assert_string_equal(c->username, "mangrove");
	assert_int_equal(c->n_trust_anchor_files, 2);
	abs_conf("/anchors/inner.key", want, sizeof(want));
	assert_string_equal(c->trust_anchor_files[0], want);
	abs_conf("/anchors/root.ds", want, sizeof(want));
	assert_string_equal(c->trust_anchor_files[1], want);
	assert_int_equal(c->n_trust_anchor_texts, 2);
	assert_int_equal(ldns_rr_list_rr_count(c->trust_anchors), 6);
	assert_true(c->root_trust_anchor);
	assert_int_equal(c->n_domain_insecure, 2);
	assert_memory_equal(c->domain_insecure[0], "\6broken\7example", 16);
	assert_memory_equal(c->domain_insecure[1], "\4corp", 6);
	assert_int_equal(c->val_sig_skew, 3600);
	assert_int_equal(c->nsec3_max_iterations, 0);
	assert_int_equal(c->val_bogus_ttl, 5);
	assert_false(c->aggressive_nsec);
	assert_false(c->trust_anchor_signaling);
	assert_int_equal(c->max_sig_checks, 200);
	assert_int_equal(c->max_key_tag_collisions, 2);
	assert_int_equal(c->max_ds_mismatches, 20);
	assert_int_equal(c->max_nsec3_hashes, 1000);
	conf_free(c);
}

static void test_conf_load_good_file_acl(void **state)
{
	struct conf *c = load_ok(CONFDIR "/good.conf");
	assert_int_equal(acl(c, "10.2.3.4"), CONF_ACL_ALLOW);
	assert_int_equal(acl(c, "10.1.3.4"), CONF_ACL_DENY);
	assert_int_equal(acl(c, "192.0.2.1"), CONF_ACL_DENY); /* 0.0.0.0/0 overridden */
	assert_int_equal(acl(c, "2001:db8::1"), CONF_ACL_REFUSE);
	assert_int_equal(acl(c, "127.0.0.1"), CONF_ACL_ALLOW);
	conf_free(c);
}

static void test_conf_load_sample_is_defaults(void **state)
{
	struct conf *s = load_ok(SRCDIR "/etc/mangrove.conf");
	struct conf *d = load_ok(NULL);
	char a[1024], b[1024];
	for (size_t i = 0; i < conf_option_count(); i++) {
		get(s, conf_option_name(i), a, sizeof(a));
		get(d, conf_option_name(i), b, sizeof(b));
		if (strcmp(a, b) != 0)
			print_error("%s: sample \"%s\", default \"%s\"\n", conf_option_name(i), a,
			            b);
		assert_string_equal(a, b);
	}
	conf_free(s);
	conf_free(d);
}

static void test_conf_load_quotes_comments_crlf(void **state)
{
	struct tmp t;
	char path[128];
	tmp_init(&t);
	tmp_write(&t, "q.conf",
	          "# comment\r\nserver: # a clause\r\n"
	          "  username: \"a b # c\"   # the '#' inside quotes is kept\r\n"
	          "verbosity: \"2\"#no blank before the comment\r\n",
	          path, sizeof(path));
	struct conf *c = load_ok(path);
	assert_string_equal(c->username, "a b # c");
	assert_int_equal(c->verbosity, 2);
	conf_free(c);
	tmp_done(&t);
}

static void test_conf_load_last_value_wins(void **state)
{
	struct tmp t;
	char path[128];
	tmp_init(&t);
	tmp_write(&t, "l.conf", "server:\n\tverbosity: 4\n\tverbosity: 0\n", path, sizeof(path));
	struct conf *c = load_ok(path);
	assert_int_equal(c->verbosity, 0);
	conf_free(c);
	tmp_done(&t);
}

static void test_conf_load_size_suffixes(void **state)
{
	uint64_t v;
	assert_int_equal(conf__parse_size("65536", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(conf__parse_size("64k", &v), 0);
	assert_int_equal(v, 64 * 1024);
	assert_int_equal(conf__parse_size("3M", &v), 0);
	assert_int_equal(v, 3ull << 20);
	assert_int_equal(conf__parse_size("1024g", &v), 0);
	assert_int_equal(v, 1ull << 40);
	assert_int_equal(conf__parse_size("1kb", &v), ERR_SYNTAX);
	assert_int_equal(conf__parse_size("k", &v), ERR_SYNTAX);
	assert_int_equal(conf__parse_size("", &v), ERR_SYNTAX);
	assert_int_equal(conf__parse_size("+1", &v), ERR_SYNTAX);
	assert_int_equal(conf__parse_size("18446744073709551616", &v), ERR_RANGE);
}

static void test_conf_load_relative_config_path(void **state)
{
	char old[PATH_MAX], cwd[PATH_MAX], want[PATH_MAX + 64];
	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir(CONFDIR), 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	struct conf *c = load_ok("./paths.conf");
	assert_int_equal(chdir(old), 0);
	snprintf(want, sizeof(want), "%s/paths.conf", cwd);
	assert_string_equal(c->file, want);
	assert_string_equal(c->dir, cwd);
	snprintf(want, sizeof(want), "%s/log/mangrove.log", cwd);
	assert_string_equal(c->logfile, want);
	conf_free(c);
}

static void test_conf_load_relative_paths(void **state)
{
	char want[PATH_MAX + 64];
	struct conf *c = load_ok(CONFDIR "/paths.conf");
	abs_conf("/../../../etc/root.hints", want, sizeof(want));
	assert_string_equal(c->root_hints, want);
	abs_conf("/log/mangrove.log", want, sizeof(want));
	assert_string_equal(c->logfile, want);
	/* set in inc/paths.conf, still relative to the main file's folder */
	abs_conf("/run/mangrove.pid", want, sizeof(want));
	assert_string_equal(c->pidfile, want);
	abs_conf("/anchors/root.ds", want, sizeof(want));
	assert_int_equal(c->n_trust_anchor_files, 1);
	assert_string_equal(c->trust_anchor_files[0], want);
	conf_free(c);
}

static void test_conf_load_port_after_interface(void **state)
{
	struct tmp t;
	char path[128];
	tmp_init(&t);
	tmp_write(&t, "p.conf",
	          "server:\n\tinterface: ::1\n\tinterface: 127.0.0.2@5300\n\tport: 8053\n", path,
	          sizeof(path));
	struct conf *c = load_ok(path);
	assert_int_equal(c->n_interfaces, 2);
	assert_sa(&c->interfaces[0], "::1@8053");
	assert_sa(&c->interfaces[1], "127.0.0.2@5300");
	conf_free(c);
	tmp_done(&t);
}

static void test_conf_load_port_applies_to_default_interfaces(void **state)
{
	struct tmp t;
	char path[128];
	tmp_init(&t);
	tmp_write(&t, "p.conf", "server:\n\tport: 8053\n", path, sizeof(path));
	struct conf *c = load_ok(path);
	assert_int_equal(c->n_interfaces, 2);
	assert_sa(&c->interfaces[0], "127.0.0.1@8053");
	assert_sa(&c->interfaces[1], "::1@8053");
	conf_free(c);
	tmp_done(&t);
}

static void test_conf_load_no_file(void **state)
{
	struct conf *c = (struct conf *)&c;
	char err[512];
	assert_int_equal(conf_load(CONFDIR "/no-such.conf", &c, err, sizeof(err)), ERR_IO);
	assert_null(c);
	assert_string_equal(err, CONFDIR "/no-such.conf: cannot open: No such file or directory");
}

/* ---- include ---- */

static void test_conf_load_include_relative_and_glob(void **state)
{
	struct conf *c = load_ok(CONFDIR "/include.conf");
	assert_int_equal(c->verbosity, 3);      /* inc/first.conf */
	assert_int_equal(c->cache_shards, 8);   /* inc/glob/10-a.conf */
	assert_int_equal(c->max_inflight, 200); /* inc/glob/20-b.conf, read after 10-a */
	assert_int_equal(c->max_referrals, 20); /* back in include.conf */
	conf_free(c);
}

static void test_conf_load_include_loop(void **state)
{
	expect_error("include_loop.conf", ERR_LIMIT,
	             ":3: include: more than 8 nested includes (does a file include itself?)");
}

/* A chain of 8 nested includes is read; a 9th level is refused. */
static void test_conf_load_include_depth(void **state)
{
	struct tmp t;
	char path[128], name[32], text[160], top[128];
	tmp_init(&t);
	for (int i = 0; i <= 9; i++) {
		snprintf(name, sizeof(name), "d%d.conf", i);
		if (i < 9)
			snprintf(text, sizeof(text), "include: d%d.conf\n", i + 1);
		else
			snprintf(text, sizeof(text), "server:\nverbosity: 4\n");
		tmp_write(&t, name, text, path, sizeof(path));
	}
	snprintf(top, sizeof(top), "%s/d1.conf", t.dir); /* d1 .. d9: 8 includes */
	struct conf *c = load_ok(top);
	assert_int_equal(c->verbosity, 4);
	conf_free(c);
	snprintf(top, sizeof(top), "%s/d0.conf", t.dir); /* d0 .. d9: 9 includes */
	char err[512];
	assert_int_equal(conf_load(top, &c, err, sizeof(err)), ERR_LIMIT);
	assert_null(c);
	snprintf(text, sizeof(text), "%s/d8.conf:1: include: more", t.dir);
	assert_memory_equal(err, text, strlen(text));
	tmp_done(&t);
}

static void test_conf_load_include_missing(void **state)
{
	expect_error("bad_include_missing.conf", ERR_IO,
	             ":3: include: cannot open \"%s/does-not-exist.conf\": No such file or "
	             "directory",
	             CONFDIR);
}

static void test_conf_load_include_error_names_included_file(void **state)
{
	char path[PATH_MAX], err[1024];
	struct conf *c;
	snprintf(path, sizeof(path), CONFDIR "/bad_include_error.conf");
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), ERR_SYNTAX);
	assert_null(c);
	assert_string_equal(err, CONFDIR "/inc/bad.conf:2: verbosity: \"loud\" is not a number "
	                                 "(use digits only)");
}

/* ---- errors: one kind each ---- */

static void test_conf_load_error_control_interface_not_loopback(void **state)
{
	expect_error("bad_control_interface.conf", ERR_RANGE,
	             ":3: control-interface: \"192.0.2.1@8953\" is not a loopback address "
	             "(127.0.0.0/8 or ::1): the control protocol is not encrypted");
}

static void test_conf_load_error_control_interface_without_secret(void **state)
{
	expect_error("bad_control_no_secret.conf", ERR_INVAL,
	             ":4: control-interface needs control-secret-file: without a secret anyone "
	             "on the machine could stop the daemon");
}

/* A config and a secret file in a fresh folder; returns the config's path. */
static const char *secret_setup(char *dir, const char *secret, mode_t mode)
{
	static char conf[PATH_MAX];
	char key[PATH_MAX];
	strcpy(dir, "/tmp/mangrove-test-conf-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(key, sizeof(key), "%s/control.key", dir);
	snprintf(conf, sizeof(conf), "%s/m.conf", dir);
	FILE *f = fopen(key, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", secret);
	fclose(f);
	assert_int_equal(chmod(key, mode), 0);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "server:\n\tcontrol-interface: ::1@8953\n\tcontrol-secret-file: control.key\n");
	fclose(f);
	return conf;
}

static void secret_cleanup(const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/control.key", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/m.conf", dir);
	unlink(path);
	rmdir(dir);
}

static void test_conf_load_control_secret(void **state)
{
	char dir[64], err[1024];
	struct conf *c = NULL;
	const char *conf = secret_setup(dir, "0123456789abcdef-x", 0600);
	assert_int_equal(conf_load(conf, &c, err, sizeof(err)), 0);
	assert_string_equal(c->control_secret, "0123456789abcdef-x");
	assert_true(c->has_control_interface);
	conf_free(c);
	secret_cleanup(dir);
	conf = secret_setup(dir, "0123456789abcdef-x", 0604);
	assert_int_equal(conf_load(conf, &c, err, sizeof(err)), ERR_INVAL);
	assert_non_null(strstr(err, "may be read by every user (chmod o-rw)"));
	secret_cleanup(dir);
	conf = secret_setup(dir, "short", 0600);
	assert_int_equal(conf_load(conf, &c, err, sizeof(err)), ERR_RANGE);
	assert_non_null(strstr(err, "must hold one line of 16 to 1000 characters"));
	secret_cleanup(dir);
}

static void test_conf_load_error_unknown_key(void **state)
{
	expect_error("bad_unknown_key.conf", ERR_SYNTAX, ":4: unknown option \"cache-sise\"");
}

static void test_conf_load_error_unknown_clause(void **state)
{
	expect_error("bad_clause.conf", ERR_SYNTAX,
	             ":3: unknown clause \"remote-control\" (the clause is \"server:\")");
}

static void test_conf_load_error_missing_clause(void **state)
{
	expect_error("bad_no_clause.conf", ERR_SYNTAX,
	             ":2: verbosity: outside any clause (put \"server:\" before it)");
}

static void test_conf_load_error_bad_bool(void **state)
{
	expect_error("bad_bool.conf", ERR_SYNTAX, ":3: do-ip6: \"true\" is not yes or no");
}

static void test_conf_load_error_bad_size(void **state)
{
	expect_error("bad_size.conf", ERR_SYNTAX,
	             ":3: cache-size: \"12q\" is not a size (use a number with optional k, m "
	             "or g)");
}

static void test_conf_load_error_size_out_of_range(void **state)
{
	expect_error("bad_size_range.conf", ERR_RANGE,
	             ":3: cache-size: 32k is out of range (64k-1024g)");
}

static void test_conf_load_error_size_overflow(void **state)
{
	expect_error("bad_size_overflow.conf", ERR_RANGE,
	             ":3: cache-size: 17179869184g is out of range (64k-1024g)");
}

static void test_conf_load_error_out_of_range(void **state)
{
	expect_error("bad_range.conf", ERR_RANGE, ":3: port: 65536 is out of range (1-65535)");
}

static void test_conf_load_error_negative(void **state)
{
	expect_error("bad_negative.conf", ERR_SYNTAX,
	             ":3: cache-max-ttl: \"-1\" is not a number (use digits only)");
}

static void test_conf_load_error_number_overflow(void **state)
{
	expect_error("bad_number_overflow.conf", ERR_RANGE,
	             ":3: max-inflight: 18446744073709551616 is out of range (1-1000000)");
}

static void test_conf_load_error_not_power_of_two(void **state)
{
	expect_error("bad_pow2.conf", ERR_RANGE,
	             ":3: cache-shards: 48 is not a power of two (use 1, 2, 4, 8 ...)");
}

static void test_conf_load_error_bad_prefix(void **state)
{
	expect_error("bad_prefix.conf", ERR_SYNTAX,
	             ":3: access-control: \"10.0.0/8\" is not an address prefix (use ADDR/BITS)");
}

static void test_conf_load_error_bad_acl_action(void **state)
{
	expect_error("bad_acl_action.conf", ERR_SYNTAX,
	             ":3: access-control: \"permit\" is not allow, refuse or deny");
}

static void test_conf_load_error_acl_without_action(void **state)
{
	expect_error("bad_acl_no_action.conf", ERR_SYNTAX,
	             ":3: access-control: \"10.0.0.0/8\" has no action (add allow, refuse or "
	             "deny)");
}

static void test_conf_load_error_bad_interface(void **state)
{
	expect_error("bad_interface.conf", ERR_SYNTAX,
	             ":3: interface: \"192.0.2.1@99999\" is not an address (use ADDR or "
	             "ADDR@PORT)");
}

static void test_conf_load_error_interface_port_zero(void **state)
{
	expect_error("bad_interface_port0.conf", ERR_RANGE,
	             ":3: interface: port 0 in \"192.0.2.1@0\" is out of range (1-65535)");
}

static void test_conf_load_error_outgoing_with_port(void **state)
{
	expect_error("bad_outgoing_port.conf", ERR_SYNTAX,
	             ":3: outgoing-interface: \"192.0.2.1@53\" takes no port (give the address "
	             "only)");
}

static void test_conf_load_error_junk_after_value(void **state)
{
	expect_error("bad_junk.conf", ERR_SYNTAX, ":3: verbosity: junk after the value: \"3\"");
}

static void test_conf_load_error_missing_value(void **state)
{
	expect_error("bad_missing_value.conf", ERR_SYNTAX, ":3: verbosity: missing value");
}

static void test_conf_load_error_no_space_after_colon(void **state)
{
	expect_error("bad_colon.conf", ERR_SYNTAX,
	             ":3: expected \"name: value\" (a space after the colon), found "
	             "\"verbosity:2\"");
}

static void test_conf_load_error_unclosed_quote(void **state)
{
	expect_error("bad_quote.conf", ERR_SYNTAX, ":3: missing closing quote");
}

static void test_conf_load_error_root_hints_unreadable(void **state)
{
	char path[PATH_MAX + 64];
	abs_conf("/no-such.hints", path, sizeof(path));
	expect_error("bad_root_hints.conf", ERR_IO,
	             ":3: root-hints: cannot read \"%s\": No such file or directory", path);
}

static void test_conf_load_error_ttl_order(void **state)
{
	expect_error("bad_ttl_order.conf", ERR_RANGE,
	             ":3: cache-min-ttl (600) is greater than cache-max-ttl (300)");
}

static void test_conf_load_error_no_address_family(void **state)
{
	expect_error("bad_no_ip.conf", ERR_RANGE,
	             ":3: do-ip4 and do-ip6 are both no: no upstream server could be reached");
}

static void test_conf_load_error_nul_byte(void **state)
{
	struct tmp t;
	char path[128], err[512], want[256];
	tmp_init(&t);
	tmp_write(&t, "n.conf", "server:\n", path, sizeof(path));
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fwrite("verbosity: 1\0 2\n", 1, 16, f);
	fclose(f);
	struct conf *c;
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), ERR_SYNTAX);
	snprintf(want, sizeof(want), "%s:2: the line holds a NUL byte", path);
	assert_string_equal(err, want);
	tmp_done(&t);
}

/* ---- DNSSEC ---- */

#define ROOT_DS_2017                                                                               \
	". DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"
#define DIGEST32 "0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9"

/* Loads "server:\n" + body from a scratch file; path gets its name (for errors). */
static int load_body(struct tmp *t, const char *body, struct conf **c, char *path, size_t plen,
                     char *err, size_t elen)
{
	char text[1024];
	snprintf(text, sizeof(text), "server:\n%s", body);
	tmp_write(t, "d.conf", text, path, plen);
	return conf_load(path, c, err, elen);
}

static struct conf *load_body_ok(struct tmp *t, const char *body)
{
	char path[128], err[1024];
	struct conf *c = NULL;
	int rc = load_body(t, body, &c, path, sizeof(path), err, sizeof(err));
	if (rc != 0)
		print_error("%s: %s\n", body, err);
	assert_int_equal(rc, 0);
	return c;
}

/* The body (one option line, so line 2) fails with code and exactly "path:2: " + text. */
static void expect_body_error(struct tmp *t, const char *body, int code, const char *text)
{
	char path[128], err[1024], want[1280];
	struct conf *c = (struct conf *)&c;
	int rc = load_body(t, body, &c, path, sizeof(path), err, sizeof(err));
	snprintf(want, sizeof(want), "%s:2: %s", path, text);
	if (rc != code || strcmp(err, want) != 0)
		print_error("%s: got %d \"%s\"\n", body, rc, err);
	assert_int_equal(rc, code);
	assert_null(c);
	assert_string_equal(err, want);
}

static void assert_rr(const ldns_rr *rr, const char *owner, ldns_rr_type type, unsigned tag)
{
	char *o = ldns_rdf2str(ldns_rr_owner(rr));
	assert_string_equal(o, owner);
	free(o);
	assert_int_equal(ldns_rr_get_type(rr), type);
	if (type == LDNS_RR_TYPE_DS)
		assert_int_equal(ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)), tag);
	else
		assert_int_equal(ldns_calc_keytag(rr), tag);
}

/* Files first in line order, $ORIGIN, parentheses and relative names; then inline ones. */
static void test_conf_load_anchor_records(void **state)
{
	struct conf *c = load_ok(CONFDIR "/good.conf");
	const ldns_rr_list *l = c->trust_anchors;
	assert_int_equal(ldns_rr_list_rr_count(l), 6);
	assert_rr(ldns_rr_list_rr(l, 0), "Example.", LDNS_RR_TYPE_DNSKEY, 20326);
	assert_rr(ldns_rr_list_rr(l, 1), "lab.Example.", LDNS_RR_TYPE_DS, 12345);
	assert_rr(ldns_rr_list_rr(l, 2), ".", LDNS_RR_TYPE_DS, 20326);
	assert_rr(ldns_rr_list_rr(l, 3), ".", LDNS_RR_TYPE_DS, 38696);
	assert_rr(ldns_rr_list_rr(l, 4), ".", LDNS_RR_TYPE_DS, 20326);
	assert_rr(ldns_rr_list_rr(l, 5), "corp.", LDNS_RR_TYPE_DNSKEY, 2371);
	assert_string_equal(c->trust_anchor_texts[0], ROOT_DS_2017);
	conf_free(c);
}

static void test_conf_load_root_anchor_on_without_anchors(void **state)
{
	struct tmp t;
	tmp_init(&t);
	struct conf *c = load_body_ok(&t, "verbosity: 1\n");
	assert_true(c->root_trust_anchor);
	conf_free(c);
	c = load_body_ok(&t, "root-trust-anchor: no\n");
	assert_false(c->root_trust_anchor);
	conf_free(c);
	tmp_done(&t);
}

/* Any configured anchor leaves the built-in root one out unless asked for. */
static void test_conf_load_root_anchor_off_with_anchors(void **state)
{
	struct tmp t;
	char body[PATH_MAX + 64], file[PATH_MAX];
	tmp_init(&t);
	struct conf *c = load_body_ok(&t, "trust-anchor: \"" ROOT_DS_2017 "\"\n");
	assert_false(c->root_trust_anchor);
	conf_free(c);
	abs_conf("/anchors/inner.key", file, sizeof(file));
	snprintf(body, sizeof(body), "trust-anchor-file: %s\n", file);
	c = load_body_ok(&t, body);
	assert_false(c->root_trust_anchor);
	conf_free(c);
	tmp_done(&t);
}

static void test_conf_load_root_anchor_yes_with_anchors(void **state)
{
	struct tmp t;
	tmp_init(&t);
	struct conf *c =
	        load_body_ok(&t, "root-trust-anchor: yes\ntrust-anchor: \"" ROOT_DS_2017 "\"\n");
	assert_true(c->root_trust_anchor);
	conf_free(c);
	tmp_done(&t);
}

/* RFC 4035 §5.2: unsupported algorithms and digest types are the validator's decision. */
static void test_conf_load_anchor_unsupported_kept(void **state)
{
	struct tmp t;
	tmp_init(&t);
	struct conf *c = load_body_ok(&t, "trust-anchor: \"example. DS 7 253 99 ABCD\"\n"
	                                  "trust-anchor: \"example. DNSKEY 257 3 253 AwEAAQ==\"\n");
	assert_int_equal(ldns_rr_list_rr_count(c->trust_anchors), 2);
	conf_free(c);
	tmp_done(&t);
}

static void test_conf_load_dnssec_bounds(void **state)
{
	static const char *const good[] = {
	        "val-sig-skew: 0",           "val-sig-skew: 86400",
	        "nsec3-max-iterations: 0",   "nsec3-max-iterations: 65535",
	        "val-bogus-ttl: 0",          "val-bogus-ttl: 86400",
	        "max-sig-checks: 1",         "max-sig-checks: 1000",
	        "max-key-tag-collisions: 1", "max-key-tag-collisions: 64",
	        "max-ds-mismatches: 1",      "max-ds-mismatches: 100",
	        "max-nsec3-hashes: 1",       "max-nsec3-hashes: 10000",
	        "domain-insecure: .",        "domain-insecure: xn--bcher-kva.example",
	};
	struct tmp t;
	char body[128];
	tmp_init(&t);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(body, sizeof(body), "%s\n", good[i]);
		conf_free(load_body_ok(&t, body));
	}
	tmp_done(&t);
}

static void test_conf_load_error_dnssec_values(void **state)
{
	static const char *const bad[][2] = {
	        {"val-sig-skew: 86401", "val-sig-skew: 86401 is out of range (0-86400)"},
	        {"nsec3-max-iterations: 65536",
	         "nsec3-max-iterations: 65536 is out of range (0-65535)"},
	        {"val-bogus-ttl: 86401", "val-bogus-ttl: 86401 is out of range (0-86400)"},
	        {"max-sig-checks: 0", "max-sig-checks: 0 is out of range (1-1000)"},
	        {"max-sig-checks: 1001", "max-sig-checks: 1001 is out of range (1-1000)"},
	        {"max-key-tag-collisions: 0", "max-key-tag-collisions: 0 is out of range (1-64)"},
	        {"max-key-tag-collisions: 65", "max-key-tag-collisions: 65 is out of range (1-64)"},
	        {"max-ds-mismatches: 0", "max-ds-mismatches: 0 is out of range (1-100)"},
	        {"max-ds-mismatches: 101", "max-ds-mismatches: 101 is out of range (1-100)"},
	        {"max-nsec3-hashes: 0", "max-nsec3-hashes: 0 is out of range (1-10000)"},
	        {"max-nsec3-hashes: 10001", "max-nsec3-hashes: 10001 is out of range (1-10000)"},
	        {"val-sig-skew: 5m", "val-sig-skew: \"5m\" is not a number (use digits only)"},
	        {"root-trust-anchor: on", "root-trust-anchor: \"on\" is not yes or no"},
	        {"aggressive-nsec: 1", "aggressive-nsec: \"1\" is not yes or no"},
	        {"trust-anchor-signaling: true",
	         "trust-anchor-signaling: \"true\" is not yes or no"},
	};
	struct tmp t;
	char body[128];
	tmp_init(&t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "%s\n", bad[i][0]);
		int code = strstr(bad[i][1], "range") != NULL ? ERR_RANGE : ERR_SYNTAX;
		expect_body_error(&t, body, code, bad[i][1]);
	}
	tmp_done(&t);
}

/* Each check of a record, inline; the anchor file shares them (anchor_problem). */
static void test_conf_load_error_anchor_record(void **state)
{
	static const char *const bad[][2] = {
	        {"example. A 192.0.2.1", "the A record is not a trust anchor (use DS or DNSKEY)"},
	        {"example. CH DS 1 8 2 " DIGEST32, "the record's class is not IN"},
	        {"example. DNSKEY 1 3 8 AwEAAQ==",
	         "the DNSKEY is not a zone key (flags 1 lack 256)"},
	        {"example. DNSKEY 385 3 8 AwEAAQ==", "the DNSKEY is revoked (flags 385 hold 128)"},
	        {"example. DNSKEY 257 2 8 AwEAAQ==", "the DNSKEY protocol is 2 (it must be 3)"},
	        {"example. DS 1 8 2 ABCD", "the DS digest is 2 bytes, digest type 2 has 32"},
	        {"example. DS 1 8 1 " DIGEST32, "the DS digest is 32 bytes, digest type 1 has 20"},
	        {"example. DS \\# 4 01020304", "the record has 3 fields, not 4"},
	};
	struct tmp t;
	char body[256], want[256];
	tmp_init(&t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "trust-anchor: \"%s\"\n", bad[i][0]);
		snprintf(want, sizeof(want), "trust-anchor: %s", bad[i][1]);
		expect_body_error(&t, body, ERR_SYNTAX, want);
	}
	tmp_done(&t);
}

static void test_conf_load_error_anchor_text_unquoted(void **state)
{
	expect_error("bad_anchor_unquoted.conf", ERR_SYNTAX,
	             ":3: trust-anchor: put the record in double quotes (\"NAME DS ...\")");
}

static void test_conf_load_error_anchor_text_syntax(void **state)
{
	expect_error("bad_anchor_text.conf", ERR_SYNTAX,
	             ":3: trust-anchor: \". DS 20326 8 2\" is not a record (Syntax error, value "
	             "expected)");
}

static void test_conf_load_error_anchor_file_missing(void **state)
{
	char path[PATH_MAX + 64];
	abs_conf("/anchors/no-such.key", path, sizeof(path));
	expect_error("bad_anchor_missing.conf", ERR_IO,
	             ":3: trust-anchor-file: cannot read \"%s\": No such file or directory", path);
}

static void test_conf_load_error_anchor_file_folder(void **state)
{
	char path[PATH_MAX + 64];
	abs_conf("/anchors", path, sizeof(path));
	expect_error("bad_anchor_folder.conf", ERR_IO,
	             ":3: trust-anchor-file: cannot read \"%s\": not a regular file", path);
}

/* The error names the configuration line and the anchor file's line. */
static void test_conf_load_error_anchor_file_syntax(void **state)
{
	char path[PATH_MAX + 64];
	abs_conf("/anchors/bad_syntax.key", path, sizeof(path));
	expect_error("bad_anchor_syntax.conf", ERR_SYNTAX,
	             ":3: trust-anchor-file: %s:4: cannot parse the record (Syntax error, could "
	             "not parse the RR's rdata)",
	             path);
}

static void test_conf_load_error_anchor_file_type(void **state)
{
	char path[PATH_MAX + 64];
	abs_conf("/anchors/bad_type.key", path, sizeof(path));
	expect_error("bad_anchor_type.conf", ERR_SYNTAX,
	             ":4: trust-anchor-file: %s:4: the A record is not a trust anchor (use DS or "
	             "DNSKEY)",
	             path);
}

static void test_conf_load_error_anchor_file_empty(void **state)
{
	char path[PATH_MAX + 64];
	abs_conf("/anchors/empty.key", path, sizeof(path));
	expect_error("bad_anchor_empty.conf", ERR_SYNTAX,
	             ":3: trust-anchor-file: \"%s\" holds no DS or DNSKEY record", path);
}

static void test_conf_load_error_anchor_file_include(void **state)
{
	char path[PATH_MAX + 64];
	abs_conf("/anchors/include.key", path, sizeof(path));
	expect_error("bad_anchor_include.conf", ERR_SYNTAX,
	             ":3: trust-anchor-file: %s:2: $INCLUDE is not supported here", path);
}

static void test_conf_load_error_anchor_file_empty_name(void **state)
{
	struct tmp t;
	tmp_init(&t);
	expect_body_error(&t, "trust-anchor-file: \"\"\n", ERR_SYNTAX,
	                  "trust-anchor-file: \"\" is not a file name");
	tmp_done(&t);
}

static void test_conf_load_error_domain_insecure(void **state)
{
	expect_error("bad_insecure.conf", ERR_SYNTAX,
	             ":3: domain-insecure: \"broken..example\" is not a domain name");
}

static void test_conf_option_get_dnssec_lists(void **state)
{
	struct conf *c = load_ok(CONFDIR "/good.conf");
	char buf[1024], a[PATH_MAX], b[PATH_MAX], want[2 * PATH_MAX + 8];
	abs_conf("/anchors/inner.key", a, sizeof(a));
	abs_conf("/anchors/root.ds", b, sizeof(b));
	snprintf(want, sizeof(want), "%s\n%s", a, b);
	get(c, "trust-anchor-file", buf, sizeof(buf));
	assert_string_equal(buf, want);
	get(c, "trust-anchor", buf, sizeof(buf));
	assert_string_equal(buf, "\"" ROOT_DS_2017 "\"\n\"corp. DNSKEY 257 3 13 "
	                         "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+"
	                         "GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\"");
	get(c, "domain-insecure", buf, sizeof(buf));
	assert_string_equal(buf, "broken.example.\ncorp.");
	conf_free(c);
}

/* ---- access control ---- */

static void test_conf_acl_check_longest_prefix(void **state)
{
	struct conf *c = load_ok(CONFDIR "/acl.conf");
	assert_int_equal(acl(c, "10.9.9.9"), CONF_ACL_ALLOW);
	assert_int_equal(acl(c, "10.1.9.9"), CONF_ACL_REFUSE);
	assert_int_equal(acl(c, "10.1.2.3"), CONF_ACL_DENY);
	assert_int_equal(acl(c, "11.0.0.1"), CONF_ACL_REFUSE); /* built-in 0.0.0.0/0 */
	assert_int_equal(acl(c, "2001:db8::5"), CONF_ACL_ALLOW);
	assert_int_equal(acl(c, "2001:db9::5"), CONF_ACL_REFUSE); /* built-in ::/0 */
	conf_free(c);
}

static void test_conf_acl_check_override_builtin(void **state)
{
	struct conf *c = load_ok(CONFDIR "/acl.conf");
	/* same prefix replaces: 4 built-in + 4 new prefixes, not 10 rules */
	assert_int_equal(c->n_acl, 8);
	assert_int_equal(acl(c, "::1"), CONF_ACL_DENY);
	assert_int_equal(acl(c, "127.0.0.1"), CONF_ACL_ALLOW);
	conf_free(c);
}

static void test_conf_acl_check_v4_mapped(void **state)
{
	struct conf *c = load_ok(CONFDIR "/acl.conf");
	assert_int_equal(acl(c, "::ffff:10.9.9.9"), CONF_ACL_ALLOW);
	assert_int_equal(acl(c, "::ffff:10.1.2.3"), CONF_ACL_DENY);
	assert_int_equal(acl(c, "::ffff:192.0.2.1"), CONF_ACL_REFUSE);
	conf_free(c);
}

/* ::/0 allow must not beat 0.0.0.0/0 refuse for an IPv4-mapped client. */
static void test_conf_acl_check_v4_mapped_beats_v6_any(void **state)
{
	struct conf *c = load_ok(CONFDIR "/acl_v6_any.conf");
	assert_int_equal(acl(c, "2001:db8::1"), CONF_ACL_ALLOW);
	assert_int_equal(acl(c, "::ffff:192.0.2.1"), CONF_ACL_REFUSE);
	assert_int_equal(acl(c, "192.0.2.1"), CONF_ACL_REFUSE);
	conf_free(c);
}

/* ---- printing ---- */

static void test_conf_option_get_lists(void **state)
{
	struct conf *c = load_ok(CONFDIR "/good.conf");
	char buf[512];
	get(c, "interface", buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.1\n2001:db8::1@853");
	get(c, "outgoing-interface", buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.10\n2001:db8::10");
	get(c, "access-control", buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.0/8 allow\n::1/128 allow\n0.0.0.0/0 deny\n::/0 refuse\n"
	                         "10.0.0.0/8 allow\n10.1.0.0/16 deny");
	get(c, "cache-size", buf, sizeof(buf));
	assert_string_equal(buf, "2g");
	get(c, "logfile", buf, sizeof(buf));
	assert_string_equal(buf, "\"/var/log/mangrove log.txt\"");
	get(c, "qname-minimisation", buf, sizeof(buf));
	assert_string_equal(buf, "no");
	conf_free(c);
}

static void test_conf_option_get_unknown(void **state)
{
	struct conf *c = load_ok(NULL);
	char buf[64];
	assert_int_equal(conf_option_get(c, "no-such-option", buf, sizeof(buf)), ERR_NOTFOUND);
	conf_free(c);
}

static void test_conf_option_get_small_buffer(void **state)
{
	struct conf *c = load_ok(NULL);
	char buf[8];
	assert_int_equal(conf_option_get(c, "access-control", buf, sizeof(buf)), ERR_SPACE);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_int_equal(conf_option_get(c, "port", buf, 2), ERR_SPACE);
	conf_free(c);
}

/* What conf_option_get() prints, written back as a file, gives the same snapshot. */
static void test_conf_option_get_round_trip(void **state)
{
	struct conf *a = load_ok(CONFDIR "/good.conf");
	char *text = NULL, buf[1024], path[128];
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	assert_non_null(m);
	fputs("server:\n", m);
	for (size_t i = 0; i < conf_option_count(); i++) {
		get(a, conf_option_name(i), buf, sizeof(buf));
		char *save = NULL;
		for (char *l = strtok_r(buf, "\n", &save); l != NULL;
		     l = strtok_r(NULL, "\n", &save))
			fprintf(m, "%s: %s\n", conf_option_name(i), l);
	}
	fclose(m);
	struct tmp t;
	tmp_init(&t);
	tmp_write(&t, "r.conf", text, path, sizeof(path));
	struct conf *b = load_ok(path);
	char x[1024], y[1024];
	for (size_t i = 0; i < conf_option_count(); i++) {
		get(a, conf_option_name(i), x, sizeof(x));
		get(b, conf_option_name(i), y, sizeof(y));
		assert_string_equal(x, y);
	}
	conf_free(a);
	conf_free(b);
	free(text);
	tmp_done(&t);
}

static void test_conf_option_name_bounds(void **state)
{
	assert_true(conf_option_count() >= 30);
	assert_null(conf_option_name(conf_option_count()));
	for (size_t i = 0; i < conf_option_count(); i++) {
		assert_non_null(conf_option_name(i));
		assert_ptr_equal(conf__option_find(conf_option_name(i)), &conf__options[i]);
		assert_non_null(conf__options[i].desc);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(conf_option_name(i), conf_option_name(j));
	}
}

/* ---- documentation ---- */

/*
 * An option is documented in the manual page and the sample, unless its row
 * is CONF__F_PENDING: then its entries wait in man/X.roff.in and
 * etc/X.conf.in and must not be in the page or the sample yet ("a feature
 * that is not finished is not in the docs").
 */

/* The text of every file matching SRCDIR/pattern, joined; "" when none matches. */
static char *read_glob(const char *pattern)
{
	char full[PATH_MAX];
	snprintf(full, sizeof(full), SRCDIR "/%s", pattern);
	glob_t g;
	char *all = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&all, &len);
	assert_non_null(m);
	if (glob(full, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			char *one = read_all(g.gl_pathv[i]);
			fprintf(m, "%s\n", one);
			free(one);
		}
		globfree(&g);
	}
	fclose(m);
	return all;
}

/* The start of an entry: "\n.B name:" with "\-" for "-". */
static void man_entry(const char *name, char *want, size_t len)
{
	size_t n = (size_t)snprintf(want, len, "\n.B ");
	for (const char *p = name; *p != '\0' && n + 4 < len; p++) {
		if (*p == '-')
			want[n++] = '\\';
		want[n++] = *p;
	}
	want[n++] = ':';
	want[n] = '\0';
}

static bool man_has(const char *man, const char *name)
{
	char want[128];
	man_entry(name, want, sizeof(want));
	return strstr(man, want) != NULL;
}

/* A "name:" line, set or commented out. */
static bool sample_has(const char *sample, const char *name)
{
	size_t len = strlen(name);
	for (const char *l = sample; l != NULL; l = strchr(l, '\n')) {
		l += *l == '\n';
		l += strspn(l, " \t#");
		if (strncmp(l, name, len) == 0 && l[len] == ':')
			return true;
	}
	return false;
}

/* Options documented in the wrong place or not at all; each one is printed when what is set. */
static size_t docs_problems(const char *docs, const char *pending, const char *what,
                            bool (*has)(const char *, const char *))
{
	if (what == NULL)
		what = "";
	size_t bad = 0;
	for (size_t i = 0; i < conf__n_options; i++) {
		const char *name = conf__options[i].name;
		if (!(conf__options[i].flags & CONF__F_PENDING) && !has(docs, name)) {
			if (what[0] != '\0')
				print_error("%s has no entry for %s\n", what, name);
			bad++;
		} else if ((conf__options[i].flags & CONF__F_PENDING) && has(docs, name)) {
			if (what[0] != '\0')
				print_error("%s documents %s, whose feature is pending\n", what,
				            name);
			bad++;
		} else if ((conf__options[i].flags & CONF__F_PENDING) && !has(pending, name)) {
			if (what[0] != '\0')
				print_error("the pending docs of %s have no entry for %s\n", what,
				            name);
			bad++;
		}
	}
	return bad;
}

static void test_conf_docs_man_page(void **state)
{
	char *man = read_all(SRCDIR "/man/mangrove.conf.5");
	char *pending = read_glob("man/*.roff.in");
	assert_int_equal(docs_problems(man, pending, "man/mangrove.conf.5", man_has), 0);
	free(man);
	free(pending);
}

static void test_conf_docs_sample(void **state)
{
	char *sample = read_all(SRCDIR "/etc/mangrove.conf");
	char *pending = read_glob("etc/*.conf.in");
	assert_int_equal(docs_problems(sample, pending, "etc/mangrove.conf", sample_has), 0);
	free(sample);
	free(pending);
}

/* The check itself: a missing entry, and a pending option in the page, are both found. */
static void test_conf_docs_check_catches_mistakes(void **state)
{
	char *man = read_all(SRCDIR "/man/mangrove.conf.5");
	char *pending = read_glob("man/*.roff.in");
	assert_int_equal(docs_problems(man, pending, NULL, man_has), 0);
	char *entry = strstr(man, "\n.B port:");
	assert_non_null(entry);
	entry[2] = 'X'; /* ".X port:": no longer an entry */
	assert_int_equal(docs_problems(man, pending, NULL, man_has), 1);
	entry[2] = 'B';
	size_t n_pending = 0;
	const char *first = NULL;
	for (size_t i = 0; i < conf__n_options; i++) {
		if (conf__options[i].flags & CONF__F_PENDING) {
			first = first != NULL ? first : conf__options[i].name;
			n_pending++;
		}
	}
	/* without their pending docs, each pending option is one problem */
	assert_int_equal(docs_problems(man, "", NULL, man_has), n_pending);
	if (first != NULL) { /* a pending option in the page is one too */
		char want[128];
		man_entry(first, want, sizeof(want));
		size_t len = strlen(man) + sizeof(want) + 2;
		char *more = malloc(len);
		assert_non_null(more);
		snprintf(more, len, "%s%s\n", man, want);
		assert_int_equal(docs_problems(more, pending, NULL, man_has), 1);
		free(more);
	}
	free(man);
	free(pending);
}

/* The pending sample, inside "server:", loads and sets every option to its default. */
static void test_conf_load_pending_sample_is_defaults(void **state)
{
	char *pending = read_glob("etc/*.conf.in");
	size_t len = strlen(pending) + 16;
	char *text = malloc(len);
	assert_non_null(text);
	snprintf(text, len, "server:\n%s", pending);
	struct tmp t;
	char path[128], a[1024], b[1024];
	tmp_init(&t);
	tmp_write(&t, "pending.conf", text, path, sizeof(path));
	struct conf *s = load_ok(path);
	struct conf *d = load_ok(NULL);
	for (size_t i = 0; i < conf_option_count(); i++) {
		get(s, conf_option_name(i), a, sizeof(a));
		get(d, conf_option_name(i), b, sizeof(b));
		assert_string_equal(a, b);
	}
	conf_free(s);
	conf_free(d);
	free(text);
	free(pending);
	tmp_done(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_conf_load_defaults),
	        cmocka_unit_test(test_conf_load_defaults_acl),
	        cmocka_unit_test(test_conf_option_get_defaults_match_schema),
	        cmocka_unit_test(test_conf_load_workers_zero_resolved),
	        cmocka_unit_test(test_conf_load_good_file),
	        cmocka_unit_test(test_conf_load_good_file_acl),
	        cmocka_unit_test(test_conf_load_sample_is_defaults),
	        cmocka_unit_test(test_conf_load_quotes_comments_crlf),
	        cmocka_unit_test(test_conf_load_last_value_wins),
	        cmocka_unit_test(test_conf_load_size_suffixes),
	        cmocka_unit_test(test_conf_load_relative_config_path),
	        cmocka_unit_test(test_conf_load_relative_paths),
	        cmocka_unit_test(test_conf_load_port_after_interface),
	        cmocka_unit_test(test_conf_load_port_applies_to_default_interfaces),
	        cmocka_unit_test(test_conf_load_no_file),
	        cmocka_unit_test(test_conf_load_include_relative_and_glob),
	        cmocka_unit_test(test_conf_load_include_loop),
	        cmocka_unit_test(test_conf_load_include_depth),
	        cmocka_unit_test(test_conf_load_include_missing),
	        cmocka_unit_test(test_conf_load_include_error_names_included_file),
	        cmocka_unit_test(test_conf_load_error_control_interface_not_loopback),
	        cmocka_unit_test(test_conf_load_error_control_interface_without_secret),
	        cmocka_unit_test(test_conf_load_control_secret),
	        cmocka_unit_test(test_conf_load_error_unknown_key),
	        cmocka_unit_test(test_conf_load_error_unknown_clause),
	        cmocka_unit_test(test_conf_load_error_missing_clause),
	        cmocka_unit_test(test_conf_load_error_bad_bool),
	        cmocka_unit_test(test_conf_load_error_bad_size),
	        cmocka_unit_test(test_conf_load_error_size_out_of_range),
	        cmocka_unit_test(test_conf_load_error_size_overflow),
	        cmocka_unit_test(test_conf_load_error_out_of_range),
	        cmocka_unit_test(test_conf_load_error_negative),
	        cmocka_unit_test(test_conf_load_error_number_overflow),
	        cmocka_unit_test(test_conf_load_error_not_power_of_two),
	        cmocka_unit_test(test_conf_load_error_bad_prefix),
	        cmocka_unit_test(test_conf_load_error_bad_acl_action),
	        cmocka_unit_test(test_conf_load_error_acl_without_action),
	        cmocka_unit_test(test_conf_load_error_bad_interface),
	        cmocka_unit_test(test_conf_load_error_interface_port_zero),
	        cmocka_unit_test(test_conf_load_error_outgoing_with_port),
	        cmocka_unit_test(test_conf_load_error_junk_after_value),
	        cmocka_unit_test(test_conf_load_error_missing_value),
	        cmocka_unit_test(test_conf_load_error_no_space_after_colon),
	        cmocka_unit_test(test_conf_load_error_unclosed_quote),
	        cmocka_unit_test(test_conf_load_error_root_hints_unreadable),
	        cmocka_unit_test(test_conf_load_error_ttl_order),
	        cmocka_unit_test(test_conf_load_error_no_address_family),
	        cmocka_unit_test(test_conf_load_error_nul_byte),
	        cmocka_unit_test(test_conf_load_anchor_records),
	        cmocka_unit_test(test_conf_load_root_anchor_on_without_anchors),
	        cmocka_unit_test(test_conf_load_root_anchor_off_with_anchors),
	        cmocka_unit_test(test_conf_load_root_anchor_yes_with_anchors),
	        cmocka_unit_test(test_conf_load_anchor_unsupported_kept),
	        cmocka_unit_test(test_conf_load_dnssec_bounds),
	        cmocka_unit_test(test_conf_load_error_dnssec_values),
	        cmocka_unit_test(test_conf_load_error_anchor_record),
	        cmocka_unit_test(test_conf_load_error_anchor_text_unquoted),
	        cmocka_unit_test(test_conf_load_error_anchor_text_syntax),
	        cmocka_unit_test(test_conf_load_error_anchor_file_missing),
	        cmocka_unit_test(test_conf_load_error_anchor_file_folder),
	        cmocka_unit_test(test_conf_load_error_anchor_file_syntax),
	        cmocka_unit_test(test_conf_load_error_anchor_file_type),
	        cmocka_unit_test(test_conf_load_error_anchor_file_empty),
	        cmocka_unit_test(test_conf_load_error_anchor_file_include),
	        cmocka_unit_test(test_conf_load_error_anchor_file_empty_name),
	        cmocka_unit_test(test_conf_load_error_domain_insecure),
	        cmocka_unit_test(test_conf_option_get_dnssec_lists),
	        cmocka_unit_test(test_conf_acl_check_longest_prefix),
	        cmocka_unit_test(test_conf_acl_check_override_builtin),
	        cmocka_unit_test(test_conf_acl_check_v4_mapped),
	        cmocka_unit_test(test_conf_acl_check_v4_mapped_beats_v6_any),
	        cmocka_unit_test(test_conf_option_get_lists),
	        cmocka_unit_test(test_conf_option_get_unknown),
	        cmocka_unit_test(test_conf_option_get_small_buffer),
	        cmocka_unit_test(test_conf_option_get_round_trip),
	        cmocka_unit_test(test_conf_option_name_bounds),
	        cmocka_unit_test(test_conf_docs_man_page),
	        cmocka_unit_test(test_conf_docs_sample),
	        cmocka_unit_test(test_conf_docs_check_catches_mistakes),
	        cmocka_unit_test(test_conf_load_pending_sample_is_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
