/*
 * validator.h - DNSSEC validation (RFC 4033-4035, 5155, 6840): the chain of
 * trust from a trust anchor down to the signer of every RRset of an answer,
 * and the proofs of denial of existence.
 *
 * verify.c is the only file that touches cryptography: key parsing,
 * signature checks, DS digests and NSEC3 hashing. nsec.c and nsec3.c decide
 * what a set of (already validated) NSEC or NSEC3 records proves.
 * validator.c walks the chain of trust; nta.c holds the negative trust
 * anchors the control socket sets (RFC 7646). Work is bounded by a budget per
 * client question (KeyTrap, CVE-2023-50387; NSEC3 hashing, CVE-2023-50868).
 *
 * Validation outcomes are data (enum val_status), not errors.
 */
#ifndef MANGROVE_VALIDATOR_H
#define MANGROVE_VALIDATOR_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mangrove/cache.h"
#include "mangrove/wire.h"

/** The outcome of validating an answer (RFC 4033 §5). */
enum val_status {
	VAL_INDETERMINATE = 0,
	VAL_SECURE,
	VAL_INSECURE,
	VAL_BOGUS,
};

/** The work one client question may cause, sub-questions included; never reset. */
struct val_budget {
	unsigned sig_checks;     /* signature verifications left */
	unsigned key_collisions; /* keys sharing a key tag tried per signature, at most */
	unsigned ds_mismatches;  /* DS digests that matched no key, left */
	unsigned nsec3_hashes;   /* NSEC3 hash computations left */
	bool exhausted;          /* set once any draw failed */
};

/* ---- verify.c: the cryptography ---- */

/** True for the DNSKEY algorithms we validate: 5, 7, 8, 10, 13, 14, 15, 16. */
bool val_algorithm_supported(uint8_t algorithm);
/** True for the DS digest types we check: 1 (SHA-1), 2 (SHA-256), 4 (SHA-384). */
bool val_digest_supported(uint8_t digest_type);
/** The key tag of a DNSKEY record (RFC 4034 Appendix B). */
uint16_t val_key_tag(const ldns_rr *dnskey);

/** A DNSKEY parsed once into a public key ready for verification. */
struct val_key;

/**
 * Parse a DNSKEY record. 0 and *out (caller frees with val_key_free), or
 * ERR_NOTIMP (algorithm not supported) or ERR_FORMERR (malformed key).
 */
int val_key_new(const ldns_rr *dnskey, struct val_key **out);
/** Free a parsed key; NULL is a no-op. */
void val_key_free(struct val_key *k);
/** The key tag of a parsed key. */
uint16_t val_key_get_tag(const struct val_key *k);
/** The algorithm of a parsed key. */
uint8_t val_key_get_algorithm(const struct val_key *k);
/** The flags field of a parsed key (256 ZSK, 257 KSK, bit 8 REVOKE ...). */
uint16_t val_key_get_flags(const struct val_key *k);

/**
 * Does the DS record's digest match the DNSKEY (RFC 4034 §5.1.4, owner and
 * rdata in canonical form)? 0 match, ERR_MISMATCH no match (wrong tag,
 * algorithm or digest), ERR_NOTIMP unsupported digest type.
 */
int val_ds_match(const ldns_rr *ds, const ldns_rr *dnskey);

enum val_sig_time {
	VAL_SIG_TIME_OK = 0,
	VAL_SIG_EXPIRED,
	VAL_SIG_NOT_YET_VALID,
};

/**
 * Is now within the RRSIG's inception and expiration, widened by skew
 * seconds, compared with RFC 1982 serial arithmetic (RFC 4034 §3.1.5)?
 */
enum val_sig_time val_rrsig_time(const ldns_rr *rrsig, time_t now, uint32_t skew);

/**
 * Check one RRSIG over an RRset with one key: the cryptography only (the
 * caller checks signer, type covered, labels, time and key tag). The signed
 * data is built per RFC 4034 §3.1.8.1 and §6 (canonical owner and RDATA
 * names, original TTL, sorted, duplicates removed, wildcard owner when the
 * labels field is below the owner's label count). 0 valid, ERR_MISMATCH
 * invalid, ERR_FORMERR malformed input.
 */
int val_rrsig_verify(const ldns_rr_list *rrset, const ldns_rr *rrsig, const struct val_key *key);

/**
 * The NSEC3 hash of a wire name (RFC 5155 §5, SHA-1, lower-cased name):
 * 0 and 20 bytes in out, or ERR_NOTIMP for a hash algorithm other than 1.
 */
int val_nsec3_hash(const uint8_t *name, uint8_t algorithm, uint16_t iterations, const uint8_t *salt,
                   size_t salt_len, uint8_t out[20]);

/* ---- nsec.c and nsec3.c: denial of existence ---- */

/** What a set of NSEC or NSEC3 records proves about a question. */
enum val_proof {
	VAL_PROOF_NONE = 0,        /* proves nothing useful: bogus if the zone is signed */
	VAL_PROOF_NXDOMAIN,        /* the name does not exist, nor a wildcard that covers it */
	VAL_PROOF_NODATA,          /* the name exists without the type (nor a CNAME) */
	VAL_PROOF_WILDCARD_NODATA, /* no exact name; the covering wildcard lacks the type */
	VAL_PROOF_NO_DS,           /* a delegation without DS: the child is insecure */
	VAL_PROOF_OPTOUT,          /* covered by an opt-out NSEC3: the child may be insecure */
	VAL_PROOF_WILDCARD_ANSWER, /* the next closer name does not exist: a wildcard answer is
	                              right */
	VAL_PROOF_ITERATIONS, /* NSEC3 iterations over the limit: treat as insecure (RFC 9276) */
	VAL_PROOF_BUDGET,     /* the work budget ran out */
};

/** Parameters of a denial check. */
struct val_denial {
	const ldns_rr_list *records; /* the NSEC or NSEC3 records of the reply, validated */
	const uint8_t *zone;         /* their signer (apex); records outside it are ignored */
	const uint8_t *qname;
	uint16_t qtype;
	unsigned nsec3_max_iterations;
	struct val_budget *budget;
};

/**
 * What the records prove for (qname, qtype): NXDOMAIN (RFC 4035 §5.4,
 * RFC 5155 §8.4), NODATA (§8.5, §8.6 for DS), wildcard NODATA (§8.7), no DS
 * or opt-out for a DS question. NSEC and NSEC3 are told apart by the records.
 */
enum val_proof val_denial_prove(const struct val_denial *d);
/**
 * For an answer expanded from a wildcard (RRSIG labels below the owner's
 * count): proof that qname itself does not exist, closest encloser having
 * `labels` labels (RFC 4035 §5.3.4, RFC 5155 §8.8).
 */
enum val_proof val_denial_wildcard(const struct val_denial *d, unsigned labels);
/** Name of a proof result, for logs. */
const char *val_proof_name(enum val_proof p);

/* ---- keycache.c: validated zone keys, shared by all workers ---- */

struct val_keycache;

/** A cache of at most max_entries zones' validation state; NULL on no memory. */
struct val_keycache *val_keycache_new(size_t max_entries);
/** Free it; NULL is a no-op. */
void val_keycache_free(struct val_keycache *kc);
/** Forget every zone (the control socket's flush commands). */
void val_keycache_flush(struct val_keycache *kc);

/* ---- nta.c: negative trust anchors (RFC 7646), shared by all workers ---- */

/* Most names a table holds; adding one more gives ERR_SPACE. */
#define VAL_NTA_MAX 1024
/* Lifetime of an NTA added with lifetime 0, in seconds. */
#define VAL_NTA_DEFAULT_LIFETIME 3600u
/* Longest lifetime accepted, in seconds (one week); above it ERR_RANGE. */
#define VAL_NTA_MAX_LIFETIME (7u * 86400u)

/** Names at and below which validation is off until an expiry; readers may run on any thread. */
struct val_nta;

/** Called by val_nta_list() for one live NTA: its name (lower-cased) and seconds left. */
typedef void (*val_nta_list_cb)(const uint8_t *name, uint32_t remaining, void *arg);

/** An empty table; NULL on no memory. */
struct val_nta *val_nta_new(void);
/** Free a table no thread still reads; NULL is a no-op. */
void val_nta_free(struct val_nta *t);
/**
 * Add an NTA at name (wire, any case) for lifetime seconds from now (0: the
 * default), or give an existing one that lifetime. 0, ERR_INVAL (bad name),
 * ERR_RANGE (lifetime over the maximum), ERR_SPACE (table full), ERR_NOMEM.
 */
int val_nta_add(struct val_nta *t, const uint8_t *name, uint32_t lifetime, time_t now);
/** Remove the NTA at exactly name (any case): 0, or ERR_NOTFOUND (none, or expired by now). */
int val_nta_remove(struct val_nta *t, const uint8_t *name, time_t now);
/**
 * Call cb for every unexpired NTA in canonical name order (RFC 4034 §6.1),
 * with the table read-locked (cb must not call val_nta_*); returns how many.
 */
size_t val_nta_list(struct val_nta *t, time_t now, val_nta_list_cb cb, void *arg);
/**
 * The deepest unexpired NTA at or above name (label boundaries, any case):
 * 0 with its label count and expiry (either may be NULL), or ERR_NOTFOUND.
 * An empty table answers without taking the lock.
 */
int val_nta_find(struct val_nta *t, const uint8_t *name, time_t now, unsigned *labels,
                 time_t *expiry);
/** Is name at or below an unexpired NTA? */
bool val_nta_covers(struct val_nta *t, const uint8_t *name, time_t now);

/* ---- trace.c: the chain of trust step by step (mangrove-control explain) ---- */

/** What one step of a validation trace is about. */
enum val_step_kind {
	VAL_STEP_ANCHOR = 0, /* a configured trust anchor record (DS or DNSKEY) of zone */
	VAL_STEP_DS,         /* a DS record of zone, and whether a DNSKEY of zone matches it */
	VAL_STEP_DNSKEY,     /* a DNSKEY of zone, and whether a DS or anchor vouches for it */
	VAL_STEP_RRSIG,      /* one RRSIG over owner/type checked with one key of zone */
	VAL_STEP_DENIAL,     /* what the NSEC/NSEC3 records of zone proved about owner/type */
	VAL_STEP_ZONE,       /* what name zone turned out to be: a secure zone, no cut, or bogus */
	VAL_STEP_INSECURE,   /* the chain of trust ends at zone: why (insecure) */
	VAL_STEP_NTA,        /* a negative trust anchor at zone covers owner (RFC 7646) */
	VAL_STEP_RRSET,      /* what an RRset of the answer came to */
	VAL_STEP_VERDICT,    /* the verdict for the whole answer; always the last step */
};

/** The result of a check (RRSIG, DS, DNSKEY, ANCHOR) or why a conclusion failed. */
enum val_check {
	VAL_CHECK_OK = 0,          /* passed: signature valid, DS matched, key trusted ... */
	VAL_CHECK_BAD_SIG,         /* the signature does not verify with the key */
	VAL_CHECK_EXPIRED,         /* the signature's expiration is past */
	VAL_CHECK_NOT_YET_VALID,   /* the signature's inception is still to come */
	VAL_CHECK_NO_KEY,          /* no usable DNSKEY has the RRSIG's or DS's tag and algorithm */
	VAL_CHECK_WRONG_SIGNER,    /* signer not the zone, or more labels than the owner */
	VAL_CHECK_KEY_LIMIT,       /* key-tag collisions or signature checks over the limit */
	VAL_CHECK_UNSUPPORTED_ALG, /* an algorithm we do not implement: ignored */
	VAL_CHECK_UNSUPPORTED_DIGEST, /* a DS digest type we do not implement: ignored */
	VAL_CHECK_DIGEST_MISMATCH,    /* a DS whose digest matches no DNSKEY with its tag */
	VAL_CHECK_UNTRUSTED,          /* a DNSKEY no DS or anchor vouches for (normal for a ZSK) */
	VAL_CHECK_REVOKED,            /* a DNSKEY with the REVOKE flag (RFC 5011): not used */
	VAL_CHECK_NOT_ZONE_KEY,       /* a DNSKEY without the Zone Key flag: not used */
	VAL_CHECK_RRSIGS_MISSING,     /* an RRset of a signed zone without any RRSIG */
	VAL_CHECK_NO_DNSKEYS,         /* the zone has a DS but served no DNSKEY RRset */
	VAL_CHECK_NO_TRUSTED_KEY,     /* no DNSKEY matches a DS or trust anchor */
	VAL_CHECK_NO_PROOF,           /* NSEC/NSEC3 missing, or proving nothing that helps */
	VAL_CHECK_NOT_APEX,           /* the signer is not a zone apex on the chain */
	VAL_CHECK_BOGUS_CHAIN,        /* the chain of trust above is bogus (an earlier step) */
	VAL_CHECK_UNREACHABLE,        /* a DS or DNSKEY RRset could not be resolved */
	VAL_CHECK_BUDGET,             /* the question's validation work budget ran out */
};

/** Why the chain of trust ends without a verdict of bogus (VAL_STEP_INSECURE). */
enum val_insecure {
	VAL_INSECURE_NO_ANCHOR = 0, /* no trust anchor at or above the name */
	VAL_INSECURE_DOMAIN,        /* domain-insecure configured at zone */
	VAL_INSECURE_ALGORITHM,     /* DS or anchor only with algorithms we lack (RFC 4035 §5.2) */
	VAL_INSECURE_DIGEST,        /* DS only with digest types we lack (RFC 6840 §5.2) */
	VAL_INSECURE_NO_DS,         /* the parent proves there is no DS (RFC 4035 §5.2) */
	VAL_INSECURE_OPTOUT,        /* an opt-out NSEC3 covers the delegation (RFC 5155 §6) */
	VAL_INSECURE_ITERATIONS,    /* NSEC3 iterations over the limit (RFC 9276 §3.2) */
};

/**
 * One step of a validation, as data. Which fields mean something depends on
 * kind (see each); the others are 0 or NULL. Names are uncompressed wire
 * names, borrowed for the duration of the callback only.
 */
struct val_step {
	enum val_step_kind kind;
	enum val_check check;   /* the check's result; for conclusions, why they failed */
	enum val_status status; /* DENIAL, ZONE, RRSET, VERDICT: what it came to; else 0 */
	int ede;                /* RFC 8914 code of a failure or an insecure EDE; -1 none */
	const uint8_t *zone;    /* the zone (or name on the chain) the step is about */
	const uint8_t *owner;   /* RRSIG, DENIAL, ZONE, NTA, RRSET, VERDICT: the RRset's owner */
	uint16_t type;          /* its type (ZONE: DS or DNSKEY, the RRset that decided) */
	const uint8_t *signer;  /* RRSIG: its signer name */
	uint16_t key_tag;       /* ANCHOR, DS, DNSKEY, RRSIG */
	uint8_t algorithm;      /* ANCHOR, DS, DNSKEY, RRSIG */
	uint8_t digest_type;    /* ANCHOR (a DS anchor), DS */
	uint16_t flags;         /* ANCHOR (a DNSKEY anchor), DNSKEY */
	time_t inception;       /* RRSIG: validity window, wall clock (RFC 4034 §3.1.5) */
	time_t expiration;
	enum val_proof proof;           /* DENIAL: what the records proved */
	bool nsec3;                     /* DENIAL: the records were NSEC3, not NSEC */
	unsigned count;                 /* DENIAL: records used; ZONE (secure cut): usable keys */
	bool cut;                       /* ZONE: zone is a zone cut (false: proven not to be one) */
	enum val_insecure insecure;     /* INSECURE: why */
	time_t until;                   /* NTA: when it expires */
	const struct val_step *failure; /* VERDICT bogus: the first step that failed, or NULL */
};

/** Receives each step of a traced validation, in the order the validator took them. */
typedef void (*val_step_cb)(const struct val_step *step, void *arg);

/** Where a validation reports its steps (struct val_env.trace). */
struct val_trace {
	val_step_cb step;
	void *arg;
};

/**
 * Write one human-readable line (no newline) for a step into buf, e.g.
 * "zone example. DS tag=12345 alg=13 (ECDSAP256SHA256) digest=2 matches DNSKEY 12345".
 * Returns the length of the whole line, as snprintf() (truncated when >= len).
 */
size_t val_step_format(const struct val_step *s, char *buf, size_t len);
/** Name of a step kind ("rrsig", "zone" ...), for logs and JSON. */
const char *val_step_kind_name(enum val_step_kind k);
/** Name of a check result ("bad signature" ...). */
const char *val_check_name(enum val_check c);
/** Name of an insecure reason ("no DS" ...). */
const char *val_insecure_name(enum val_insecure r);
/** Mnemonic of a DNSSEC algorithm number ("ECDSAP256SHA256"), or "unknown". */
const char *val_algorithm_name(uint8_t algorithm);
/** The RFC 8914 name of an Extended DNS Error code ("DNSSEC Bogus"), or "unknown". */
const char *val_ede_name(int code);

/* ---- validator.c: the chain of trust for one answer ---- */

struct val_anchors;

/** What every validation of a worker shares; borrowed. */
struct val_env {
	const struct val_anchors *anchors;
	struct val_keycache *keys;
	uint32_t sig_skew;             /* seconds of clock skew allowed on signatures */
	unsigned nsec3_max_iterations; /* RFC 9276 */
	uint32_t bogus_ttl;            /* how long a bogus zone state is kept */
	struct cache *cache;           /* for aggressive NSEC (RFC 8198); NULL: off */
	bool aggressive;               /* aggressive-nsec */
	struct val_nta *nta;           /* negative trust anchors (RFC 7646); NULL: none */
	/* Explain: every step goes here; NULL: off (then it costs a NULL check per step).
	 * To see the whole walk, give keys a private, empty key cache: steps are only
	 * reported when a zone's state is worked out, not when it is taken from the cache. */
	const struct val_trace *trace;
};

/** The answer to validate, as the iterator produced it; borrowed. */
struct val_input {
	const uint8_t *qname;
	uint16_t qtype;
	uint16_t rcode;
	const ldns_rr_list *answer;    /* chain and final RRsets, with RRSIGs */
	const ldns_rr_list *authority; /* SOA and NSEC/NSEC3 records, with RRSIGs */
};

/** A DS or DNSKEY RRset the validator needs resolved. */
struct val_fetch {
	uint8_t name[WIRE_DNAME_MAX];
	uint16_t type;
};

enum val_action {
	VAL_FETCH = 0, /* resolve *out and report it with val_on_fetch() */
	VAL_DONE,      /* val_result() */
};

struct val;

/** Start validating an answer; the budget is the client question's; NULL on no memory. */
struct val *val_new(const struct val_env *env, const struct val_input *in,
                    struct val_budget *budget);
/** Free it; NULL is a no-op. */
void val_free(struct val *v);
/** Advance: say what to fetch, or that the verdict is ready. */
enum val_action val_step(struct val *v, struct val_fetch *out);
/** The result of the last VAL_FETCH (lists borrowed for the call only). */
void val_on_fetch(struct val *v, uint16_t rcode, const ldns_rr_list *answer,
                  const ldns_rr_list *authority);
/** The verdict once VAL_DONE, and the EDE that explains it (code -1 for none). */
enum val_status val_result(const struct val *v, struct wire_ede *ede);
/**
 * Is the verdict INSECURE because a negative trust anchor covered part of the
 * answer (RFC 7646)? Then *until (may be NULL) gets the earliest expiry of
 * those NTAs: the answer must not be served from a cache past it.
 */
bool val_result_nta(const struct val *v, time_t *until);
/** Name of a status, for logs. */
const char *val_status_name(enum val_status s);

/* ---- aggressive.c: answers from validated denials (RFC 8198) ---- */

/**
 * Answer (qname, qtype) from the validated NSEC/NSEC3 records kept for its
 * zone: 0 with *rcode (NXDOMAIN or NOERROR/NODATA) and *authority (SOA,
 * denial records and their RRSIGs; caller frees with ldns_rr_list_deep_free),
 * or ERR_NOTFOUND when they do not prove it.
 */
int val_aggressive_answer(const struct val_env *env, const uint8_t *qname, uint16_t qtype,
                          struct val_budget *budget, uint16_t *rcode, ldns_rr_list **authority);

#endif
