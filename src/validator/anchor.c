/*
 * anchor.c - the trust-anchor store: anchors grouped by owner name and the
 * negative trust anchors, each kept in canonical order so that a lookup is
 * one binary search per label of the name asked about.
 *
 * Non-goals: reading files (conf does that, so errors carry file:line),
 * judging algorithms (the validator does), RFC 5011 key rollover.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mangrove/anchor.h"
#include "mangrove/errors.h"
#include "mangrove/wire.h"

/*
 * The root zone's key-signing keys as IANA publishes them (root-anchors.xml;
 * the same as Debian's /usr/share/dns/root.ds): KSK-2017 and KSK-2024.
 */
static const char *const root_ds[] = {
        ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
        ". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
};

struct val_anchor {
	uint8_t name[WIRE_DNAME_MAX]; /* lower-cased */
	ldns_rr_list *ds;
	ldns_rr_list *dnskey;
	uint16_t *tags; /* key tags of both, ascending, each once */
	size_t n_tags;
};

struct val_anchors {
	struct val_anchor *anchors; /* canonical order */
	size_t n_anchors;
	uint8_t **insecure; /* canonical order, lower-cased */
	size_t n_insecure;
};

static int cmp_anchor(const void *x, const void *y)
{
	const struct val_anchor *a = x, *b = y;
	return wire_dname_canonical_cmp(a->name, b->name);
}

static int cmp_name_ptr(const void *x, const void *y)
{
	const uint8_t *const *a = x, *const *b = y;
	return wire_dname_canonical_cmp(*a, *b);
}

/* Same type and rdata: the owner is already known to match, the TTL does not matter. */
static bool rr_same(const ldns_rr *x, const ldns_rr *y)
{
	if (ldns_rr_get_type(x) != ldns_rr_get_type(y) ||
	    ldns_rr_rd_count(x) != ldns_rr_rd_count(y))
		return false;
	for (size_t i = 0; i < ldns_rr_rd_count(x); i++) {
		if (ldns_rdf_compare(ldns_rr_rdf(x, i), ldns_rr_rdf(y, i)) != 0)
			return false;
	}
	return true;
}

/* The entry for a lower-cased name, added when missing (the array is sorted later). */
static struct val_anchor *anchor_slot(struct val_anchors *a, const uint8_t *name)
{
	for (size_t i = 0; i < a->n_anchors; i++) {
		if (wire_dname_equal(a->anchors[i].name, name))
			return &a->anchors[i];
	}
	struct val_anchor *p = realloc(a->anchors, (a->n_anchors + 1) * sizeof(*p));
	if (p == NULL)
		return NULL;
	a->anchors = p;
	struct val_anchor *t = &p[a->n_anchors];
	memset(t, 0, sizeof(*t));
	memcpy(t->name, name, wire_dname_len(name));
	t->ds = ldns_rr_list_new();
	t->dnskey = ldns_rr_list_new();
	a->n_anchors++; /* counted now, so that val_anchors_free() frees the lists */
	return t->ds != NULL && t->dnskey != NULL ? t : NULL;
}

/* Adds a copy of rr (a DS or DNSKEY that conf has checked) with its owner lower-cased. */
static int anchors_add(struct val_anchors *a, const ldns_rr *rr)
{
	const ldns_rdf *owner = ldns_rr_owner(rr);
	uint8_t name[WIRE_DNAME_MAX];
	if (owner == NULL || ldns_rdf_size(owner) == 0 || ldns_rdf_size(owner) > sizeof(name))
		return ERR_INVAL;
	memcpy(name, ldns_rdf_data(owner), ldns_rdf_size(owner)); /* ldns keeps wire form */
	wire_dname_to_lower(name);
	struct val_anchor *t = anchor_slot(a, name);
	if (t == NULL)
		return ERR_NOMEM;
	ldns_rr_list *list = ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS ? t->ds : t->dnskey;
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		if (rr_same(ldns_rr_list_rr(list, i), rr))
			return 0;
	}
	ldns_rr *copy = ldns_rr_clone(rr);
	if (copy == NULL)
		return ERR_NOMEM;
	ldns_dname2canonical(ldns_rr_owner(copy));
	if (!ldns_rr_list_push_rr(list, copy)) {
		ldns_rr_free(copy);
		return ERR_NOMEM;
	}
	return 0;
}

static int add_builtin(struct val_anchors *a)
{
	for (size_t i = 0; i < sizeof(root_ds) / sizeof(root_ds[0]); i++) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_str(&rr, root_ds[i], 0, NULL, NULL);
		if (st != LDNS_STATUS_OK)
			return st == LDNS_STATUS_MEM_ERR ? ERR_NOMEM : ERR_INVAL;
		int rc = anchors_add(a, rr);
		ldns_rr_free(rr);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int add_insecure(struct val_anchors *a, const struct conf *c)
{
	if (c->n_domain_insecure == 0)
		return 0;
	a->insecure = calloc(c->n_domain_insecure, sizeof(*a->insecure));
	if (a->insecure == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < c->n_domain_insecure; i++) {
		size_t len = wire_dname_len(c->domain_insecure[i]);
		if ((a->insecure[i] = malloc(len)) == NULL)
			return ERR_NOMEM;
		memcpy(a->insecure[i], c->domain_insecure[i], len);
		wire_dname_to_lower(a->insecure[i]);
		a->n_insecure++;
	}
	qsort(a->insecure, a->n_insecure, sizeof(*a->insecure), cmp_name_ptr);
	return 0;
}

static int cmp_u16(const void *x, const void *y)
{
	uint16_t a = *(const uint16_t *)x, b = *(const uint16_t *)y;
	return (a > b) - (a < b);
}

/* RFC 8145 §5.1: a DS gives its key tag field, a DNSKEY its computed tag (RFC 4034 App. B). */
static int anchor_tags(struct val_anchor *t)
{
	size_t n_ds = ldns_rr_list_rr_count(t->ds), n_key = ldns_rr_list_rr_count(t->dnskey);
	if (n_ds + n_key == 0)
		return 0;
	t->tags = malloc((n_ds + n_key) * sizeof(*t->tags));
	if (t->tags == NULL)
		return ERR_NOMEM;
	size_t n = 0;
	for (size_t i = 0; i < n_ds; i++)
		t->tags[n++] = ldns_rdf2native_int16(ldns_rr_rdf(ldns_rr_list_rr(t->ds, i), 0));
	for (size_t i = 0; i < n_key; i++)
		t->tags[n++] = ldns_calc_keytag(ldns_rr_list_rr(t->dnskey, i));
	qsort(t->tags, n, sizeof(*t->tags), cmp_u16);
	for (size_t i = 0; i < n; i++) {
		if (t->n_tags == 0 || t->tags[t->n_tags - 1] != t->tags[i])
			t->tags[t->n_tags++] = t->tags[i];
	}
	return 0;
}

static int build(struct val_anchors *a, const struct conf *c)
{
	int rc = c->root_trust_anchor ? add_builtin(a) : 0;
	size_t n = ldns_rr_list_rr_count(c->trust_anchors);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = anchors_add(a, ldns_rr_list_rr(c->trust_anchors, i));
	for (size_t i = 0; rc == 0 && i < a->n_anchors; i++)
		rc = anchor_tags(&a->anchors[i]);
	if (rc == 0)
		rc = add_insecure(a, c);
	if (rc == 0 && a->n_anchors > 0)
		qsort(a->anchors, a->n_anchors, sizeof(*a->anchors), cmp_anchor);
	return rc;
}

int val_anchors_new(const struct conf *c, struct val_anchors **out, char *err, size_t errlen)
{
	*out = NULL;
	struct val_anchors *a = calloc(1, sizeof(*a));
	int rc = a != NULL ? build(a, c) : ERR_NOMEM;
	if (rc != 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "trust anchors: %s", err_str(rc));
		val_anchors_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void val_anchors_free(struct val_anchors *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n_anchors; i++) {
		ldns_rr_list_deep_free(a->anchors[i].ds);
		ldns_rr_list_deep_free(a->anchors[i].dnskey);
		free(a->anchors[i].tags);
	}
	free(a->anchors);
	for (size_t i = 0; i < a->n_insecure; i++)
		free(a->insecure[i]);
	free(a->insecure);
	free(a);
}

/* The anchor at exactly name, or NULL. */
static const struct val_anchor *anchor_at(const struct val_anchors *a, const uint8_t *name)
{
	size_t lo = 0, hi = a->n_anchors;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = wire_dname_canonical_cmp(name, a->anchors[mid].name);
		if (r == 0)
			return &a->anchors[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const uint8_t *insecure_at(const struct val_anchors *a, const uint8_t *name)
{
	if (a->n_insecure == 0)
		return NULL;
	uint8_t *const *hit =
	        bsearch(&name, a->insecure, a->n_insecure, sizeof(*a->insecure), cmp_name_ptr);
	return hit != NULL ? *hit : NULL;
}

/* Walks from name up to the root, label by label, so a match is always at a label boundary. */
const struct val_anchor *val_anchors_closest(const struct val_anchors *a, const uint8_t *name)
{
	for (const uint8_t *n = name; n != NULL; n = wire_dname_parent(n)) {
		const struct val_anchor *t = anchor_at(a, n);
		if (t != NULL)
			return t;
	}
	return NULL;
}

/*
 * An anchor configured below the domain-insecure name is the more specific
 * statement (an island the operator trusts): it secures the names under it.
 * An anchor at the same name does not, or "domain-insecure: ." could never
 * switch the built-in root anchor off.
 */
const uint8_t *val_anchors_insecure_cover(const struct val_anchors *a, const uint8_t *name)
{
	const uint8_t *cover = NULL;
	for (const uint8_t *n = name; n != NULL && cover == NULL; n = wire_dname_parent(n))
		cover = insecure_at(a, n);
	if (cover == NULL)
		return NULL;
	const struct val_anchor *t = val_anchors_closest(a, name);
	if (t != NULL && wire_dname_labels(t->name) > wire_dname_labels(cover))
		return NULL;
	return cover;
}

bool val_anchors_insecure(const struct val_anchors *a, const uint8_t *name)
{
	return val_anchors_insecure_cover(a, name) != NULL;
}

size_t val_anchors_count(const struct val_anchors *a)
{
	return a->n_anchors;
}

const struct val_anchor *val_anchors_get(const struct val_anchors *a, size_t i)
{
	return i < a->n_anchors ? &a->anchors[i] : NULL;
}

size_t val_anchors_insecure_count(const struct val_anchors *a)
{
	return a->n_insecure;
}

const uint8_t *val_anchors_insecure_get(const struct val_anchors *a, size_t i)
{
	return i < a->n_insecure ? a->insecure[i] : NULL;
}

const uint8_t *val_anchor_name(const struct val_anchor *t)
{
	return t->name;
}

const ldns_rr_list *val_anchor_ds(const struct val_anchor *t)
{
	return t->ds;
}

const ldns_rr_list *val_anchor_dnskey(const struct val_anchor *t)
{
	return t->dnskey;
}

const uint16_t *val_anchor_key_tags(const struct val_anchor *t, size_t *n)
{
	*n = t->n_tags;
	return t->tags;
}
