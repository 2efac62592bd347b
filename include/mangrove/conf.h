/*
 * conf.h - the configuration: an immutable snapshot built from mangrove.conf
 * (unbound.conf-like: a "server:" clause, "key: value" lines, "#" comments,
 * "include: FILE") or from the built-in defaults.
 *
 * Every option is one row in conf/schema.c; the parser, runtime get/set and
 * the documentation check are driven from that table. A snapshot is never
 * changed after conf_load() returns it; reload builds a new one.
 */
#ifndef MANGROVE_CONF_H
#define MANGROVE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "mangrove/sockaddr.h"

enum conf_acl_action {
	CONF_ACL_ALLOW = 0,
	CONF_ACL_REFUSE, /* answer REFUSED */
	CONF_ACL_DENY,   /* drop silently */
};

/** One access-control line. */
struct conf_acl_rule {
	struct sa_prefix prefix;
	enum conf_acl_action action;
};

/** A parsed configuration snapshot (read-only once built). */
struct conf {
	char *file; /* the config file, NULL for built-in defaults */
	char *dir;  /* its folder: relative paths resolve against it */

	/* listening */
	struct sa *interfaces; /* with port filled in */
	size_t n_interfaces;
	uint16_t port;
	unsigned workers; /* 0 in the file means one per CPU; resolved at load */

	/* clients */
	struct conf_acl_rule *acl; /* built-in rules first, then the file's */
	size_t n_acl;
	unsigned tcp_max_connections;
	unsigned tcp_max_per_client;
	unsigned tcp_idle_timeout_ms;

	/* upstream */
	char *root_hints; /* absolute path, NULL for the built-in IANA hints */
	bool qname_minimisation;
	bool do_ip4;
	bool do_ip6;
	bool do_not_query_localhost;
	struct sa *outgoing_interfaces; /* port 0 */
	size_t n_outgoing_interfaces;
	uint16_t edns_buffer_size;

	/* cache */
	uint64_t cache_size; /* bytes */
	unsigned cache_shards;
	uint32_t cache_min_ttl;
	uint32_t cache_max_ttl;
	uint32_t cache_max_negative_ttl;

	/* limits (DESIGN.md "Limits") */
	unsigned max_queries_per_request; /* outbound queries per client question */
	unsigned max_referrals;           /* referral depth */
	unsigned max_cname_chain;         /* CNAME/DNAME chain length */
	unsigned max_ns_lookups;          /* NS names resolved per delegation */
	unsigned max_subqueries;          /* glue-less sub-queries per client question */
	unsigned request_timeout_ms;      /* time a request may live */
	unsigned max_inflight;            /* in-flight requests per worker */

	/*
	 * DNSSEC. Anchor files and inline anchors are read and checked at load;
	 * val_anchors_new() (anchor.h) organises what is kept here.
	 */
	char **trust_anchor_files; /* absolute paths, in file order */
	size_t n_trust_anchor_files;
	char **trust_anchor_texts; /* inline anchors as written in the file */
	size_t n_trust_anchor_texts;
	ldns_rr_list *trust_anchors; /* every DS and DNSKEY of both; NULL when none */
	bool root_trust_anchor;      /* add the built-in root KSK DS records */
	uint8_t **domain_insecure;   /* negative trust anchors: lower-cased wire names */
	size_t n_domain_insecure;
	uint32_t val_sig_skew;           /* seconds around RRSIG inception and expiration */
	unsigned nsec3_max_iterations;   /* above: insecure (RFC 9276) */
	uint32_t val_bogus_ttl;          /* seconds a bogus answer is cached */
	bool aggressive_nsec;            /* answer from cached NSEC/NSEC3 (RFC 8198) */
	bool trust_anchor_signaling;     /* report anchor key tags upstream (RFC 8145) */
	unsigned max_sig_checks;         /* signature verifications per client question */
	unsigned max_key_tag_collisions; /* keys tried for one signature's key tag */
	unsigned max_ds_mismatches;      /* DS digests matching no key, per client question */
	unsigned max_nsec3_hashes;       /* NSEC3 name hashes per client question */

	/* process */
	int verbosity;
	char *logfile;               /* absolute path or NULL (stderr) */
	char *pidfile;               /* absolute path or NULL */
	char *username;              /* NULL or "": keep the starting user */
	char *control_socket;        /* absolute path or NULL: no control socket */
	struct sa metrics_interface; /* GET /metrics over HTTP, when has_metrics_interface */
	bool has_metrics_interface;
	struct sa control_interface; /* loopback TCP for mangrove-control, when has_... */
	bool has_control_interface;
	char *control_secret_file;  /* absolute path or NULL */
	char *control_secret;       /* its contents without the line end, read at load */
	char *control_socket_user;  /* NULL or "": username, else the starting user */
	char *control_socket_group; /* NULL or "": the owner's primary group */
};

/**
 * Build a snapshot from a file (path NULL: the built-in defaults).
 * On failure returns a negative ERR_* code and writes "file:line: what is
 * wrong" into err; nothing is half-applied. On success *out takes ownership.
 */
int conf_load(const char *path, struct conf **out, char *err, size_t errlen);
/** Free a snapshot; NULL is a no-op. */
void conf_free(struct conf *c);
/** How the access-control rules treat a client address (longest prefix wins). */
enum conf_acl_action conf_acl_check(const struct conf *c, const struct sa *client);

/** Number of options in the schema. */
size_t conf_option_count(void);
/** Name of option i (0 <= i < conf_option_count()), e.g. "cache-size". */
const char *conf_option_name(size_t i);
/**
 * Current value of an option as text into buf, written the way the file takes
 * it: "yes"/"no", numbers in decimal, sizes with the largest exact suffix
 * ("64m"), paths absolute, text in double quotes when empty or holding blanks
 * or '#' (so an unset path or username reads ""), domain names with a
 * trailing dot. A list (interface, outgoing-interface, access-control,
 * trust-anchor-file, trust-anchor, domain-insecure) gives one value per line, separated by
 * '\n' with none after the last, e.g. "127.0.0.0/8 allow\n::1/128 allow";
 * an empty list gives "". An interface on the `port` port is written without
 * "@port". 0, ERR_NOTFOUND (no such option) or ERR_SPACE (buf too small; it
 * then holds a truncated text).
 */
int conf_option_get(const struct conf *c, const char *name, char *buf, size_t len);
/**
 * How many options that only a restart can change (interface, port,
 * workers, cache-size, ...) differ between two snapshots; their names,
 * comma-separated, into names.
 */
size_t conf_restart_diff(const struct conf *old, const struct conf *new_conf, char *names,
                         size_t len);

#endif
