/*
 * fake_auth.h - a fake authoritative DNS world for the resolution core's
 * unit tests, in the spirit of Unbound's testbound (our own, much smaller):
 * servers, each an address that is never contacted (everything happens in
 * memory), serving zones given as zone-file text and answering like an
 * authoritative server, with switches for the ways real servers misbehave.
 * A driver runs a request against the world on the fake clock.
 *
 * Non-goals: wildcards, DNSSEC records beyond plain data, zone transfers.
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
#define FAKE_T0        1700000000
#define FAKE_MONO0     1000000u
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
