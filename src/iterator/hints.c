/*
 * hints.c - root hints: where resolution starts before priming (RFC 8109).
 *
 * The IANA root servers are built in; `root-hints: FILE` replaces them with
 * a zone-format file (a test network, an isolated lab). etc/root.hints is
 * the same list as the built-in table; a unit test keeps the two equal.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mangrove/errors.h"
#include "mangrove/request.h"
#include "iter_internal.h"

/* IANA root servers (root-servers.org); b.root changed addresses in 2023. */
static const struct {
	const char *name;
	const char *v4;
	const char *v6;
} builtin_roots[] = {
        {"a.root-servers.net.", "198.41.0.4", "2001:503:ba3e::2:30"},
        {"b.root-servers.net.", "170.247.170.2", "2801:1b8:10::b"},
        {"c.root-servers.net.", "192.33.4.12", "2001:500:2::c"},
        {"d.root-servers.net.", "199.7.91.13", "2001:500:2d::d"},
        {"e.root-servers.net.", "192.203.230.10", "2001:500:a8::e"},
        {"f.root-servers.net.", "192.5.5.241", "2001:500:2f::f"},
        {"g.root-servers.net.", "192.112.36.4", "2001:500:12::d0d"},
        {"h.root-servers.net.", "198.97.190.53", "2001:500:1::53"},
        {"i.root-servers.net.", "192.36.148.17", "2001:7fe::53"},
        {"j.root-servers.net.", "192.58.128.30", "2001:503:c27::2:30"},
        {"k.root-servers.net.", "193.0.14.129", "2001:7fd::1"},
        {"l.root-servers.net.", "199.7.83.42", "2001:500:9f::42"},
        {"m.root-servers.net.", "202.12.27.33", "2001:dc3::35"},
};

static struct iter_hints *hints_alloc(void)
{
	struct iter_hints *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->ns = ldns_rr_list_new();
	h->addrs = ldns_rr_list_new();
	if (h->ns == NULL || h->addrs == NULL) {
		iter_hints_free(h);
		return NULL;
	}
	return h;
}

static int hints_push_str(struct iter_hints *h, const char *text)
{
	ldns_rr *rr = NULL;
	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		return ERR_SYNTAX;
	ldns_rr_list *dst = ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS ? h->ns : h->addrs;
	if (!ldns_rr_list_push_rr(dst, rr)) {
		ldns_rr_free(rr);
		return ERR_NOMEM;
	}
	return 0;
}

static int hints_builtin(struct iter_hints *h)
{
	char line[256];
	for (size_t i = 0; i < sizeof(builtin_roots) / sizeof(builtin_roots[0]); i++) {
		int rc;
		snprintf(line, sizeof(line), ". 3600000 IN NS %s", builtin_roots[i].name);
		if ((rc = hints_push_str(h, line)) != 0)
			return rc;
		snprintf(line, sizeof(line), "%s 3600000 IN A %s", builtin_roots[i].name,
		         builtin_roots[i].v4);
		if ((rc = hints_push_str(h, line)) != 0)
			return rc;
		snprintf(line, sizeof(line), "%s 3600000 IN AAAA %s", builtin_roots[i].name,
		         builtin_roots[i].v6);
		if ((rc = hints_push_str(h, line)) != 0)
			return rc;
	}
	return 0;
}

/* Sort one record from the file into the hints, or say what is wrong with it. */
static const char *hints_take(struct iter_hints *h, ldns_rr *rr)
{
	ldns_rr_type type = ldns_rr_get_type(rr);
	ldns_rr_list *dst;
	if (type == LDNS_RR_TYPE_NS) {
		if (ldns_dname_label_count(ldns_rr_owner(rr)) != 0)
			return "NS record not at the root";
		dst = h->ns;
	} else if (type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA) {
		dst = h->addrs;
	} else {
		return "only NS, A and AAAA records belong in root hints";
	}
	if (!ldns_rr_list_push_rr(dst, rr))
		return "out of memory";
	return NULL;
}

/* True when some NS name of the hints has an address. */
static bool hints_usable(const struct iter_hints *h)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(h->ns); i++) {
		ldns_rdf *target = ldns_rr_rdf(ldns_rr_list_rr(h->ns, i), 0);
		for (size_t j = 0; j < ldns_rr_list_rr_count(h->addrs); j++) {
			if (ldns_dname_compare(target,
			                       ldns_rr_owner(ldns_rr_list_rr(h->addrs, j))) == 0)
				return true;
		}
	}
	return false;
}

/*
 * Skip blank and comment lines, counting them, so that *line is the line
 * the next record starts on: ldns also skips the blank lines after a
 * record, so the count it leaves is not the line of the record it read.
 */
static void skip_blank_lines(FILE *fp, int *line)
{
	for (;;) {
		long at = ftell(fp);
		int c;
		do
			c = fgetc(fp);
		while (c == ' ' || c == '\t' || c == '\r');
		if (c == ';') {
			while (c != EOF && c != '\n')
				c = fgetc(fp);
		}
		if (c == EOF)
			return;
		if (c != '\n') {
			fseek(fp, at, SEEK_SET);
			return;
		}
		(*line)++;
	}
}

static int hints_file(struct iter_hints *h, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		snprintf(err, errlen, "%s: cannot read root hints: %s", path, strerror(errno));
		return ERR_IO;
	}
	uint32_t ttl = 3600000;
	ldns_rdf *origin = NULL, *prev = NULL;
	int line = 1, rc = 0;
	for (;;) {
		skip_blank_lines(fp, &line);
		if (feof(fp))
			break;
		ldns_rr *rr = NULL;
		int start = line;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, &line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN || st == LDNS_STATUS_SYNTAX_INCLUDE)
			continue;
		if (st != LDNS_STATUS_OK) {
			snprintf(err, errlen, "%s:%d: %s", path, start,
			         ldns_get_errorstr_by_id(st));
			rc = ERR_SYNTAX;
			break;
		}
		const char *why = hints_take(h, rr);
		if (why != NULL) {
			ldns_rr_free(rr);
			snprintf(err, errlen, "%s:%d: %s", path, start, why);
			rc = ERR_SYNTAX;
			break;
		}
	}
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	fclose(fp);
	if (rc == 0 && !hints_usable(h)) {
		snprintf(err, errlen, "%s: no root NS record with an address", path);
		rc = ERR_SYNTAX;
	}
	return rc;
}

int iter_hints_load(const char *path, struct iter_hints **out, char *err, size_t errlen)
{
	struct iter_hints *h = hints_alloc();
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return ERR_NOMEM;
	}
	int rc = path == NULL ? hints_builtin(h) : hints_file(h, path, err, errlen);
	if (rc != 0) {
		if (path == NULL)
			snprintf(err, errlen, "built-in root hints: %s", err_str(rc));
		iter_hints_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

void iter_hints_free(struct iter_hints *h)
{
	if (h == NULL)
		return;
	ldns_rr_list_deep_free(h->ns);
	ldns_rr_list_deep_free(h->addrs);
	free(h);
}
