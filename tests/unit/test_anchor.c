/*
 * test_anchor.c - the trust-anchor store: the built-in root anchors and when
 * they are added, the closest anchor for names at, below and outside the
 * anchors, inner-name anchors, duplicates, key tags, and domain-insecure
 * matching (case, label boundaries, precedence of anchors below it).
 *
 * Stores are built from snapshots loaded from small scratch config files.
 */
#include "config.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mangrove/anchor.h"
#include "mangrove/conf.h"
#include "mangrove/errors.h"
#include "mangrove/wire.h"

#define DS_2017 "20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"
#define DS_2024 "38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16"
#define DIGEST  "0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9"
/* The root's KSK-2017 key material (key tag 20326). */
#define KEY_2017                                                                                   \
	"AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN" \
	"7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN"  \
	"8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuO"  \
	"LYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU="

/* ---- helpers ---- */

/* A store built from "server:\n" + body (NULL: the built-in defaults). */
static struct val_anchors *anchors_from(const char *body)
{
	char path[] = "/tmp/mangrove-test-anchor-XXXXXX", err[1024];
	struct conf *c = NULL;
	int rc;
	if (body == NULL) {
		rc = conf_load(NULL, &c, err, sizeof(err));
	} else {
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		FILE *f = fdopen(fd, "w");
		assert_non_null(f);
		fprintf(f, "server:\n%s", body);
		assert_int_equal(fclose(f), 0);
		rc = conf_load(path, &c, err, sizeof(err));
		unlink(path);
	}
	if (rc != 0)
		print_error("conf_load: %s\n", err);
	assert_int_equal(rc, 0);
	struct val_anchors *a = NULL;
	assert_int_equal(val_anchors_new(c, &a, err, sizeof(err)), 0);
	assert_non_null(a);
	conf_free(c); /* the store keeps copies */
	return a;
}

/* A wire name from text, in a buffer that lives until the next call with the same slot. */
static const uint8_t *dn(const char *text)
{
	static uint8_t names[8][WIRE_DNAME_MAX];
	static unsigned next;
	uint8_t *out = names[next++ % 8];
	assert_int_equal(wire_dname_from_str(text, out, NULL), 0);
	return out;
}

/* The owner of the closest anchor for name as text, or "-" for none. */
static const char *closest(const struct val_anchors *a, const char *name)
{
	static char buf[WIRE_DNAME_STR_MAX];
	const struct val_anchor *t = val_anchors_closest(a, dn(name));
	if (t == NULL)
		return "-";
	return wire_dname_to_str(val_anchor_name(t), buf, sizeof(buf));
}

static bool insecure(const struct val_anchors *a, const char *name)
{
	return val_anchors_insecure(a, dn(name));
}

static void assert_rr_text(const ldns_rr *rr, const char *want)
{
	char *text = ldns_rr2str(rr);
	assert_non_null(text);
	text[strcspn(text, "\n")] = '\0';
	assert_string_equal(text, want);
	free(text);
}

/* ---- the built-in root anchors ---- */

static void test_val_anchors_new_builtin_root(void **state)
{
	struct val_anchors *a = anchors_from(NULL);
	assert_int_equal(val_anchors_count(a), 1);
	const struct val_anchor *t = val_anchors_get(a, 0);
	assert_memory_equal(val_anchor_name(t), "", 1);
	const ldns_rr_list *ds = val_anchor_ds(t);
	assert_int_equal(ldns_rr_list_rr_count(ds), 2);
	assert_rr_text(ldns_rr_list_rr(ds, 0),
	               ".\t3600\tIN\tDS\t20326 8 2 "
	               "e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc68345710"
	               "4237c7f8ec8d");
	assert_rr_text(ldns_rr_list_rr(ds, 1),
	               ".\t3600\tIN\tDS\t38696 8 2 "
	               "683d2d0acb8c9b712a1948b27f741219298d0a450d612c483af4"
	               "44a4c0fb2b16");
	assert_int_equal(ldns_rr_list_rr_count(val_anchor_dnskey(t)), 0);
	assert_null(val_anchors_get(a, 1));
	val_anchors_free(a);
}

static void test_val_anchors_new_builtin_root_covers_everything(void **state)
{
	struct val_anchors *a = anchors_from(NULL);
	assert_string_equal(closest(a, "."), ".");
	assert_string_equal(closest(a, "com"), ".");
	assert_string_equal(closest(a, "www.example.com"), ".");
	val_anchors_free(a);
}

static void test_val_anchors_new_root_off_with_other_anchors(void **state)
{
	struct val_anchors *a = anchors_from("trust-anchor: \"example. DS " DS_2017 "\"\n");
	assert_int_equal(val_anchors_count(a), 1);
	assert_string_equal(closest(a, "."), "-");
	assert_string_equal(closest(a, "com"), "-");
	assert_string_equal(closest(a, "www.example"), "example.");
	val_anchors_free(a);
}

static void test_val_anchors_new_root_on_when_asked(void **state)
{
	struct val_anchors *a = anchors_from("root-trust-anchor: yes\n"
	                                     "trust-anchor: \"example. DS " DS_2017 "\"\n");
	assert_int_equal(val_anchors_count(a), 2);
	assert_string_equal(closest(a, "com"), ".");
	assert_string_equal(closest(a, "www.example"), "example.");
	val_anchors_free(a);
}

static void test_val_anchors_new_root_off_without_anchors(void **state)
{
	struct val_anchors *a = anchors_from("root-trust-anchor: no\n");
	assert_int_equal(val_anchors_count(a), 0);
	assert_string_equal(closest(a, "."), "-");
	assert_string_equal(closest(a, "example.com"), "-");
	val_anchors_free(a);
}

/* A configured root DS equal to a built-in one is kept once. */
static void test_val_anchors_new_duplicates_kept_once(void **state)
{
	struct val_anchors *a = anchors_from("root-trust-anchor: yes\n"
	                                     "trust-anchor: \". DS " DS_2017 "\"\n"
	                                     "trust-anchor: \". 86400 IN DS " DS_2024 "\"\n");
	assert_int_equal(val_anchors_count(a), 1);
	assert_int_equal(ldns_rr_list_rr_count(val_anchor_ds(val_anchors_get(a, 0))), 2);
	val_anchors_free(a);
}

/* ---- inner names ---- */

/* DS and DNSKEY at one name share an entry; owners are lower-cased. */
static void test_val_anchors_new_groups_by_name(void **state)
{
	struct val_anchors *a =
	        anchors_from("trust-anchor: \"Lab.Example. DS 1 13 2 " DIGEST "\"\n"
	                     "trust-anchor: \"lab.example. DNSKEY 257 3 8 " KEY_2017 "\"\n");
	assert_int_equal(val_anchors_count(a), 1);
	const struct val_anchor *t = val_anchors_get(a, 0);
	assert_int_equal(ldns_rr_list_rr_count(val_anchor_ds(t)), 1);
	assert_int_equal(ldns_rr_list_rr_count(val_anchor_dnskey(t)), 1);
	assert_memory_equal(val_anchor_name(t), "\3lab\7example", 13);
	char *owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(val_anchor_ds(t), 0)));
	assert_string_equal(owner, "lab.example.");
	free(owner);
	val_anchors_free(a);
}

static void test_val_anchors_closest_inner_names(void **state)
{
	struct val_anchors *a =
	        anchors_from("trust-anchor: \"example. DS " DS_2017 "\"\n"
	                     "trust-anchor: \"lab.example. DS 1 13 2 " DIGEST "\"\n");
	assert_string_equal(closest(a, "example"), "example.");             /* at */
	assert_string_equal(closest(a, "www.example"), "example.");         /* below */
	assert_string_equal(closest(a, "lab.example"), "lab.example.");     /* at the inner one */
	assert_string_equal(closest(a, "a.b.lab.example"), "lab.example."); /* below it */
	assert_string_equal(closest(a, "LAB.Example"), "lab.example.");     /* case */
	assert_string_equal(closest(a, "xlab.example"), "example.");        /* label boundary */
	assert_string_equal(closest(a, "badexample"), "-");                 /* outside */
	assert_string_equal(closest(a, "example.com"), "-");
	assert_string_equal(closest(a, "."), "-");
	val_anchors_free(a);
}

static void test_val_anchors_get_canonical_order(void **state)
{
	struct val_anchors *a = anchors_from("root-trust-anchor: yes\n"
	                                     "trust-anchor: \"z.example. DS 1 13 2 " DIGEST "\"\n"
	                                     "trust-anchor: \"example. DS 2 13 2 " DIGEST "\"\n"
	                                     "trust-anchor: \"a.example. DS 3 13 2 " DIGEST "\"\n");
	char buf[WIRE_DNAME_STR_MAX];
	static const char *const want[] = {".", "example.", "a.example.", "z.example."};
	assert_int_equal(val_anchors_count(a), 4);
	for (size_t i = 0; i < 4; i++) {
		const uint8_t *name = val_anchor_name(val_anchors_get(a, i));
		assert_string_equal(wire_dname_to_str(name, buf, sizeof(buf)), want[i]);
	}
	val_anchors_free(a);
}

/* RFC 8145 §5.1: the tags of DS and DNSKEY anchors, ascending, each once. */
static void test_val_anchor_key_tags(void **state)
{
	struct val_anchors *a = anchors_from(NULL);
	size_t n;
	const uint16_t *tags = val_anchor_key_tags(val_anchors_get(a, 0), &n);
	assert_int_equal(n, 2);
	assert_int_equal(tags[0], 20326);
	assert_int_equal(tags[1], 38696);
	val_anchors_free(a);
	a = anchors_from("trust-anchor: \". DS " DS_2024 "\"\n"
	                 "trust-anchor: \". DNSKEY 257 3 8 " KEY_2017 "\"\n"
	                 "trust-anchor: \". DS " DS_2017 "\"\n");
	tags = val_anchor_key_tags(val_anchors_get(a, 0), &n);
	assert_int_equal(n, 2);
	assert_int_equal(tags[0], 20326);
	assert_int_equal(tags[1], 38696);
	val_anchors_free(a);
}

/* ---- domain-insecure ---- */

static void test_val_anchors_insecure_at_and_below(void **state)
{
	struct val_anchors *a =
	        anchors_from("root-trust-anchor: yes\ndomain-insecure: example.com\n");
	assert_true(insecure(a, "example.com"));
	assert_true(insecure(a, "www.example.com"));
	assert_true(insecure(a, "a.b.c.example.com"));
	assert_false(insecure(a, "com"));
	assert_false(insecure(a, "."));
	assert_false(insecure(a, "example.net"));
	val_anchors_free(a);
}

static void test_val_anchors_insecure_label_boundary(void **state)
{
	struct val_anchors *a = anchors_from("domain-insecure: example.com\n");
	assert_false(insecure(a, "badexample.com"));
	assert_false(insecure(a, "example.com.evil"));
	assert_false(insecure(a, "xexample.com"));
	val_anchors_free(a);
}

static void test_val_anchors_insecure_case(void **state)
{
	struct val_anchors *a = anchors_from("domain-insecure: Example.COM\n");
	assert_true(insecure(a, "example.com"));
	assert_true(insecure(a, "WWW.EXAMPLE.COM"));
	assert_memory_equal(val_anchors_insecure_get(a, 0), "\7example\3com", 13);
	val_anchors_free(a);
}

static void test_val_anchors_insecure_root(void **state)
{
	struct val_anchors *a = anchors_from("domain-insecure: .\n");
	assert_true(insecure(a, "."));
	assert_true(insecure(a, "www.example.com"));
	val_anchors_free(a);
}

/* The deepest matching entry is the cover; the list is in canonical order. */
static void test_val_anchors_insecure_cover(void **state)
{
	struct val_anchors *a = anchors_from("domain-insecure: sub.example.com\n"
	                                     "domain-insecure: com\n"
	                                     "domain-insecure: example.com\n");
	assert_int_equal(val_anchors_insecure_count(a), 3);
	assert_memory_equal(val_anchors_insecure_get(a, 0), "\3com", 5);
	assert_memory_equal(val_anchors_insecure_get(a, 1), "\7example\3com", 13);
	assert_memory_equal(val_anchors_insecure_get(a, 2), "\3sub\7example\3com", 17);
	assert_null(val_anchors_insecure_get(a, 3));
	assert_memory_equal(val_anchors_insecure_cover(a, dn("www.sub.example.com")),
	                    "\3sub\7example\3com", 17);
	assert_memory_equal(val_anchors_insecure_cover(a, dn("www.example.com")), "\7example\3com",
	                    13);
	assert_memory_equal(val_anchors_insecure_cover(a, dn("net.com")), "\3com", 5);
	assert_null(val_anchors_insecure_cover(a, dn("example.net")));
	val_anchors_free(a);
}

/* An anchor below the insecure name secures its own subtree; one at the name does not. */
static void test_val_anchors_insecure_anchor_below_wins(void **state)
{
	struct val_anchors *a = anchors_from("root-trust-anchor: yes\n"
	                                     "domain-insecure: com\n"
	                                     "trust-anchor: \"example.com. DS " DS_2017 "\"\n");
	assert_false(insecure(a, "example.com"));
	assert_false(insecure(a, "www.example.com"));
	assert_true(insecure(a, "other.com"));
	assert_true(insecure(a, "com"));
	val_anchors_free(a);
	a = anchors_from("domain-insecure: example.com\n"
	                 "trust-anchor: \"example.com. DS " DS_2017 "\"\n");
	assert_true(insecure(a, "www.example.com"));
	val_anchors_free(a);
}

static void test_val_anchors_free_null(void **state)
{
	val_anchors_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_val_anchors_new_builtin_root),
	        cmocka_unit_test(test_val_anchors_new_builtin_root_covers_everything),
	        cmocka_unit_test(test_val_anchors_new_root_off_with_other_anchors),
	        cmocka_unit_test(test_val_anchors_new_root_on_when_asked),
	        cmocka_unit_test(test_val_anchors_new_root_off_without_anchors),
	        cmocka_unit_test(test_val_anchors_new_duplicates_kept_once),
	        cmocka_unit_test(test_val_anchors_new_groups_by_name),
	        cmocka_unit_test(test_val_anchors_closest_inner_names),
	        cmocka_unit_test(test_val_anchors_get_canonical_order),
	        cmocka_unit_test(test_val_anchor_key_tags),
	        cmocka_unit_test(test_val_anchors_insecure_at_and_below),
	        cmocka_unit_test(test_val_anchors_insecure_label_boundary),
	        cmocka_unit_test(test_val_anchors_insecure_case),
	        cmocka_unit_test(test_val_anchors_insecure_root),
	        cmocka_unit_test(test_val_anchors_insecure_cover),
	        cmocka_unit_test(test_val_anchors_insecure_anchor_below_wins),
	        cmocka_unit_test(test_val_anchors_free_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
