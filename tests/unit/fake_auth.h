/*
 * fake_auth.h - a fake authoritative DNS world for the resolution core's
 * unit tests, in the spirit of Unbound's testbound (our own, much smaller):
 * servers, each an address that is never contacted (everything happens in
 * memory), serving zones given as zone-file text and answering like an
 * authoritative server, with switches for the ways real servers misbehave.
 * A driver runs a request against the world on the fake clock.
 *
 * Zones may be signed at set-up (fake_server_sign(): keys made then, NSEC or
 * NSEC3, signatures valid around FAKE_T0) and broken on purpose for the
 * validator's tests (enum fake_break). Sign children first: their DS goes
 * into the parent (fake_server_ds_copy()) before the parent is signed.
 * Queries with DO get what an authoritative server sends (RFC 4035 §3.1):
 * RRSIGs, the DS or the no-DS proof in referrals, NSEC/NSEC3 proofs for
 * NXDOMAIN, NODATA and wildcard expansions (RFC 4035 §3.1.3, RFC 5155 §7.2).
 *
 * Non-goals: zone transfers, dynamic updates, ANY queries.
 */
#ifndef MANGROVE_TESTS_FAKE_AUTH_H
#define MANGROVE_TESTS_FAKE_AUTH_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mangrove/conf.h"
#include "mangrove/request.h"
#include "mangrove/sockaddr.h"
#include "mangrove/stats.h"
#include "mangrove/wire.h"

/* The fake clock's start: wall seconds and monotonic milliseconds. */
#define FAKE_T0    1700000000
#define FAKE_MONO0 1000000u
/* The root zone most tests use: a.root-servers.test. on 192.0.2.1, test. on
 * 192.0.2.10 and other. on 192.0.2.20 (glue included). */
#define FAKE_ROOT_ZONE                                                                             \
	". 86400 IN SOA a.root-servers.test. hostmaster.root-servers.test. 1 1800 900 604800 "     \
	"86400\n"                                                                                  \
	". 518400 IN NS a.root-servers.test.\n"                                                    \
	"a.root-servers.test. 518400 IN A 192.0.2.1\n"                                             \
	"test. 172800 IN NS ns1.test.\n"                                                           \
	"ns1.test. 172800 IN A 192.0.2.10\n"                                                       \
	"other. 172800 IN NS ns1.other.\n"                                                         \
	"ns1.other. 172800 IN A 192.0.2.20\n"

#define FAKE_RTT_MS    10u /* default round-trip time of a server that answers */
#define FAKE_NO_SERVER UINT32_MAX

/** How a server behaves; FAKE_OK answers like a correct authoritative server. */
enum fake_mode {
	FAKE_OK = 0,
	FAKE_DEAD,           /* never answers: the query times out */
	FAKE_CONN_REFUSED,   /* the send fails at once (ICMP or TCP RST) */
	FAKE_FORMERR_EDNS,   /* FORMERR, without OPT, to any query with an OPT record */
	FAKE_FORMERR_BARE,   /* as FAKE_FORMERR_EDNS, and no question section (old servers) */
	FAKE_TC_UDP,         /* TC=1 and empty sections over UDP, the full answer over TCP */
	FAKE_SERVFAIL,       /* SERVFAIL to everything */
	FAKE_LAME,           /* REFUSED to everything */
	FAKE_WRONG_ID,       /* first a reply with another ID, then the right one */
	FAKE_WRONG_QUESTION, /* first a reply for another name, then the right one */
	FAKE_NO_SOA,         /* negative answers come without the SOA */
};

struct fake_world;
struct fake_server;

/** One query a server was asked, in the order asked. */
struct fake_query {
	uint32_t server; /* index in the world, FAKE_NO_SERVER for an unknown address */
	uint8_t qname[WIRE_DNAME_MAX];
	uint16_t qtype;
	bool tcp;
	bool edns;
};

/** A new, empty world; NULL on no memory. */
struct fake_world *fake_world_new(void);
/** Free the world and its servers; NULL is a no-op. */
void fake_world_free(struct fake_world *w);
/** Add a server at addr ("192.0.2.1", port 53); NULL on a bad address or no memory. */
struct fake_server *fake_server_add(struct fake_world *w, const char *addr);
/** Let a server serve a zone given as zone-file text (origin "example.test."); 0 or ERR_*. */
int fake_server_zone(struct fake_server *s, const char *origin, const char *text);
/** Switch a server's behaviour. */
void fake_server_mode(struct fake_server *s, enum fake_mode mode);
/** Round-trip time the driver reports for this server's replies. */
void fake_server_rtt(struct fake_server *s, uint32_t rtt_ms);
/** Append this record (text) to every reply of the server in the answer, authority or additional
 * section. */
int fake_server_poison(struct fake_server *s, ldns_pkt_section section, const char *rr);
/** Stop adding records to the server's replies. */
void fake_server_poison_clear(struct fake_server *s);
/** Queries the server was asked. */
unsigned fake_server_queries(const struct fake_server *s);
/** The server's address. */
const struct sa *fake_server_addr(const struct fake_server *s);
/** The server's index in the world (as in struct fake_query). */
uint32_t fake_server_index(const struct fake_server *s);
/** The log of every query asked in the world; borrowed until the next query. */
const struct fake_query *fake_world_log(const struct fake_world *w, size_t *n);
/** Forget the log and the per-server counts. */
void fake_world_log_clear(struct fake_world *w);
/** True when log entry i asked server s for (name text, type). */
bool fake_query_is(const struct fake_query *q, const struct fake_server *s, const char *name,
                   uint16_t qtype);

/* ---- signed zones (DNSSEC) ---- */

/* Signature validity of a signed zone, around the fake clock. */
#define FAKE_SIG_INCEPTION  (FAKE_T0 - 86400)
#define FAKE_SIG_EXPIRATION (FAKE_T0 + 30 * 86400)
/* The DNSKEY algorithm FAKE_BREAK_ALGORITHM writes: private, so unsupported (RFC 4034 A.1). */
#define FAKE_ALG_UNSUPPORTED 253
/* The DS digest type FAKE_BREAK_DS_DIGEST writes: GOST R 34.11-94, which we do not check. */
#define FAKE_DIGEST_UNSUPPORTED 3

/**
 * Ways to break a signed zone on purpose (bits of fake_sign.breaks). "The
 * target" is the RRset fake_sign.target names; BAD_SIG, EXPIRED,
 * NOT_YET_VALID and NO_RRSIGS act on the whole zone without one.
 */
enum fake_break {
	/* One byte flipped in every RRSIG of the target. */
	FAKE_BREAK_BAD_SIG = 1u << 0,
	/* Signatures expired 30 days before FAKE_T0 (resigned: they verify at the right time). */
	FAKE_BREAK_EXPIRED = 1u << 1,
	/* Signatures valid only from 30 days after FAKE_T0. */
	FAKE_BREAK_NOT_YET_VALID = 1u << 2,
	/* The DS for the parent matches no key (a digest byte changed). */
	FAKE_BREAK_DS_NO_KEY = 1u << 3,
	/* The DNSKEY RRset signed by the ZSK only; the DS names the KSK. */
	FAKE_BREAK_DNSKEY_ZSK_ONLY = 1u << 4,
	/* Served unsigned (no DNSKEY, RRSIG, NSEC), yet with a DS for the parent. */
	FAKE_BREAK_UNSIGNED = 1u << 5,
	/* Keys, RRSIGs and DS say FAKE_ALG_UNSUPPORTED (key tags follow). */
	FAKE_BREAK_ALGORITHM = 1u << 6,
	/* The DS says FAKE_DIGEST_UNSUPPORTED. */
	FAKE_BREAK_DS_DIGEST = 1u << 7,
	/* Key-tag collisions: see fake_sign.keytrap_keys. */
	FAKE_BREAK_KEYTRAP = 1u << 8,
	/* Replies without the target's RRSIGs; no target: all but the DNSKEY RRset's. */
	FAKE_BREAK_NO_RRSIGS = 1u << 9,
	/* NXDOMAIN and NODATA replies without NSEC/NSEC3 (the SOA stays signed). */
	FAKE_BREAK_NO_DENIAL = 1u << 10,
	/* Wildcard expansions without the NSEC/NSEC3 for the next closer name. */
	FAKE_BREAK_NO_WILDCARD_PROOF = 1u << 11,
};

/**
 * How to sign a zone. All zeros: ECDSAP256SHA256, a KSK (257) signing the
 * DNSKEY RRset and a ZSK (256) signing the rest, NSEC, nothing broken.
 */
struct fake_sign {
	uint8_t algorithm; /* LDNS_SIGN_RSASHA256, LDNS_SIGN_ED25519 ...; 0: ECDSAP256SHA256 */
	bool csk;          /* one key, flags 257, signs everything (not with DNSKEY_ZSK_ONLY
	                      or KEYTRAP, which need a ZSK) */
	bool nsec3;        /* NSEC3 (SHA-1) instead of NSEC */
	bool nsec3_optout; /* Opt-Out flag; insecure delegations get no NSEC3 (RFC 5155 §6) */
	uint16_t nsec3_iterations;
	const char *nsec3_salt; /* hex; NULL: none */
	unsigned breaks;        /* FAKE_BREAK_* bits */
	const char *target;     /* "owner TYPE", e.g. "www.example.test. A"; NULL: none */
	/*
	 * FAKE_BREAK_KEYTRAP (CVE-2023-50387): RSASHA256 keys; keytrap_keys
	 * forged DNSKEYs (0: 32) share the ZSK's key tag, and every RRset the
	 * ZSK signs carries keytrap_sigs (0: 16) RRSIGs with that tag, none valid.
	 */
	unsigned keytrap_keys;
	unsigned keytrap_sigs;
};

/** Add records (zone-file text, relative names end at the origin) to a zone, before signing. */
int fake_server_zone_add(struct fake_server *s, const char *origin, const char *text);
/** Sign a zone the server serves; opts NULL: the defaults. 0 or ERR_*. */
int fake_server_sign(struct fake_server *s, const char *origin, const struct fake_sign *opts);
/**
 * Add the DS records of child's signed zone origin to the zone that
 * encloses it on parent, which must not be signed yet. 0 or ERR_*.
 */
int fake_server_ds_copy(const struct fake_server *child, const char *origin,
                        struct fake_server *parent);
/** The DS records (SHA-256) a signed zone hands its parent; NULL when not signed. Borrowed. */
const ldns_rr_list *fake_server_ds(const struct fake_server *s, const char *origin);
/** The zone's DNSKEY RRset (forged keys too; not served if UNSIGNED); NULL unsigned. Borrowed. */
const ldns_rr_list *fake_server_dnskeys(const struct fake_server *s, const char *origin);
/**
 * Configuration lines `trust-anchor: "<DS>"` for the DS records of a signed
 * zone, into buf. 0, ERR_NOTFOUND (not signed) or ERR_SPACE.
 */
int fake_server_anchor(const struct fake_server *s, const char *origin, char *buf, size_t len);
/**
 * The reply the server sends to (name, type) with EDNS, DO when dnssec,
 * without logging or counting it (for tests of the world itself). Caller
 * frees with ldns_pkt_free; NULL on a bad name or no memory.
 */
ldns_pkt *fake_server_ask(const struct fake_server *s, const char *name, uint16_t type,
                          bool dnssec);

/* ---- the fake clock ---- */

/** Start the fake clock at FAKE_T0 / FAKE_MONO0. */
void fake_clock_start(void);
/** Move the fake clock forward (wall seconds follow the milliseconds). */
void fake_clock_advance(uint64_t ms);

/* ---- running requests ---- */

/** Everything a request needs, owned by the test. */
struct fake_env {
	struct conf *conf;
	struct cache *cache;
	struct infra *infra;
	struct iter_hints *hints;
	struct stats stats;
	struct req_env env;
};

/**
 * Defaults from conf_load(NULL) with do-not-query-localhost off, a small
 * cache, and root hints "name addr" loaded from a temporary hints file
 * through iter_hints_load(). 0 or ERR_*.
 */
int fake_env_init(struct fake_env *e, const char *root_ns, const char *root_addr);
/**
 * Replace the configuration with the defaults and the options of body, the
 * lines of a "server:" clause (e.g. "trust-anchor: \"...\"\n"), then
 * do-not-query-localhost off. 0 or ERR_* (the reason printed).
 */
int fake_env_conf(struct fake_env *e, const char *body);
/** Free what fake_env_init() made. */
void fake_env_deinit(struct fake_env *e);

/** What a run did. */
struct fake_run {
	unsigned sends;          /* REQ_SEND steps */
	unsigned timeouts;       /* reported as timeouts (refused included) */
	unsigned mismatches;     /* spoofed replies answered with ERR_MISMATCH */
	unsigned spoof_accepted; /* spoofed replies the request took: always a bug */
	bool done;               /* REQ_DONE reached within the bound */
};

/**
 * Drive r until REQ_DONE: every REQ_SEND is answered by the world (or times
 * out), and the fake clock moves by the RTT or the timeout. Stops after
 * max_sends sends. Returns run->done.
 */
bool fake_world_run(struct fake_world *w, struct req *r, unsigned max_sends, struct fake_run *run);
/**
 * Resolve (name, type) with a new request and return the answer parsed
 * (caller frees with ldns_pkt_free), NULL when the request did not finish
 * or its answer does not parse. ede and run may be NULL.
 */
ldns_pkt *fake_resolve(struct fake_env *e, struct fake_world *w, const char *name, uint16_t type,
                       struct wire_ede *ede, struct fake_run *run);
/** As fake_resolve() for a client question with these flags (CACHE_MSG_DO, CACHE_MSG_CD). */
ldns_pkt *fake_resolve_flags(struct fake_env *e, struct fake_world *w, const char *name,
                             uint16_t type, uint8_t flags, struct wire_ede *ede,
                             struct fake_run *run);

/* ---- looking at answers ---- */

/** Number of records of this type in a section of pkt. */
size_t fake_pkt_count(const ldns_pkt *pkt, ldns_pkt_section sec, uint16_t type);
/** True when the section holds the record given as text (owner, type, rdata; TTL ignored). */
bool fake_pkt_has(const ldns_pkt *pkt, ldns_pkt_section sec, const char *rr);
/** The TTL of the first record of this type in a section, or -1 when none. */
int64_t fake_pkt_ttl(const ldns_pkt *pkt, ldns_pkt_section sec, uint16_t type);
/** The EDE INFO-CODE in the packet's OPT record, or -1 when none. */
int fake_pkt_ede(const ldns_pkt *pkt);
/** A wire name from text into out (room for WIRE_DNAME_MAX); returns out. */
uint8_t *fake_dname(const char *text, uint8_t *out);

#endif
