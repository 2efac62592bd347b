/*
 * test_prom.c - the Prometheus text writer (prom_write) and its escapes.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mangrove/errors.h"
#include "mangrove/prom.h"
#include "mangrove/stats.h"

/* The whole exposition of s and x as a NUL-terminated string (free it). */
static char *expose(const struct stats *s, const struct prom_extra *x)
{
	struct prom_out o;
	prom_out_init(&o, 1 << 20);
	assert_int_equal(prom_write(&o, s, x), 0);
	char *text = malloc(o.len + 1);
	assert_non_null(text);
	memcpy(text, o.buf, o.len);
	text[o.len] = '\0';
	prom_out_free(&o);
	return text;
}

static char *expose_zero(void)
{
	struct stats s;
	struct prom_extra x;
	memset(&s, 0, sizeof(s));
	memset(&x, 0, sizeof(x));
	return expose(&s, &x);
}

/* True when text holds line as a whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	}
	return false;
}

static unsigned count(const char *text, const char *s)
{
	unsigned n = 0;
	for (const char *p = text; (p = strstr(p, s)) != NULL; p++)
		n++;
	return n;
}

static void test_prom_write_counter(void **state)
{
	struct stats s;
	struct prom_extra x = {0};
	memset(&s, 0, sizeof(s));
	STATS_ADD(&s, queries_udp, 5);
	char *t = expose(&s, &x);
	assert_non_null(strstr(t, "# HELP mangrove_queries_udp_total Client queries received over "
	                          "UDP.\n# TYPE mangrove_queries_udp_total counter\n"
	                          "mangrove_queries_udp_total 5\n"));
	free(t);
}

static void test_prom_write_gauge_has_no_total(void **state)
{
	struct stats s;
	struct prom_extra x = {0};
	memset(&s, 0, sizeof(s));
	STATS_SET(&s, requests_inflight, 4);
	char *t = expose(&s, &x);
	assert_true(has_line(t, "# TYPE mangrove_requests_inflight gauge"));
	assert_true(has_line(t, "mangrove_requests_inflight 4"));
	assert_null(strstr(t, "mangrove_requests_inflight_total"));
	free(t);
}

static void test_prom_write_labelled_array(void **state)
{
	struct stats s;
	struct prom_extra x = {0};
	memset(&s, 0, sizeof(s));
	STATS_ADD(&s, answers_rcode[2], 7);
	STATS_ADD(&s, limits[STATS_LIMIT_CNAME], 3);
	char *t = expose(&s, &x);
	assert_true(has_line(t, "# TYPE mangrove_answers_rcode_total counter"));
	assert_true(has_line(t, "mangrove_answers_rcode_total{rcode=\"SERVFAIL\"} 7"));
	assert_true(has_line(t, "mangrove_answers_rcode_total{rcode=\"NOERROR\"} 0"));
	assert_true(has_line(t, "mangrove_limits_total{limit=\"cname\"} 3"));
	free(t);
}

static void test_prom_write_histogram_cumulative(void **state)
{
	struct stats s;
	struct prom_extra x = {0};
	memset(&s, 0, sizeof(s));
	STATS_ADD(&s, latency[0], 3);  /* <= 1 ms */
	STATS_ADD(&s, latency[4], 2);  /* <= 20 ms */
	STATS_ADD(&s, latency[13], 1); /* slower than 10 s */
	STATS_ADD(&s, latency_ms_sum, 12345);
	char *t = expose(&s, &x);
	const char *want = "# TYPE mangrove_answer_latency_seconds histogram\n"
	                   "mangrove_answer_latency_seconds_bucket{le=\"0.001\"} 3\n"
	                   "mangrove_answer_latency_seconds_bucket{le=\"0.002\"} 3\n"
	                   "mangrove_answer_latency_seconds_bucket{le=\"0.005\"} 3\n"
	                   "mangrove_answer_latency_seconds_bucket{le=\"0.01\"} 3\n"
	                   "mangrove_answer_latency_seconds_bucket{le=\"0.02\"} 5\n"
	                   "mangrove_answer_latency_seconds_bucket{le=\"0.05\"} 5\n"
	                   "mangrove_answer_latency_seconds_bucket{le=\"0.1\"} 5\n"
	                   "mangrove_answer_latency_seconds_bucket{le=\"0.2\"} 5\n"
	                   "mangrove_answer_latency_seconds_bucket{le=\"0.5\"} 5\n"
	                   "mangrove_answer_latency_seconds_bucket{le=\"1\"} 5\n"
	                   "mangrove_answer_latency_seconds_bucket{le=\"2\"} 5\n"
	                   "mangrove_answer_latency_seconds_bucket{le=\"5\"} 5\n"
	                   "mangrove_answer_latency_seconds_bucket{le=\"10\"} 5\n"
	                   "mangrove_answer_latency_seconds_bucket{le=\"+Inf\"} 6\n"
	                   "mangrove_answer_latency_seconds_sum 12.345\n"
	                   "mangrove_answer_latency_seconds_count 6\n";
	assert_non_null(strstr(t, want));
	free(t);
}

static void test_prom_write_histogram_sum_in_seconds(void **state)
{
	static const struct {
		uint64_t ms;
		const char *line;
	} cases[] = {
	        {0, "mangrove_answer_latency_seconds_sum 0.000"},
	        {7, "mangrove_answer_latency_seconds_sum 0.007"},
	        {1000, "mangrove_answer_latency_seconds_sum 1.000"},
	        {60250, "mangrove_answer_latency_seconds_sum 60.250"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stats s;
		struct prom_extra x = {0};
		memset(&s, 0, sizeof(s));
		STATS_SET(&s, latency_ms_sum, cases[i].ms);
		char *t = expose(&s, &x);
		assert_true(has_line(t, cases[i].line));
		free(t);
	}
}

static void test_prom_write_latency_ms_sum_not_its_own_metric(void **state)
{
	char *t = expose_zero();
	assert_null(strstr(t, "latency_ms_sum"));
	assert_null(strstr(t, "mangrove_latency"));
	free(t);
}

/* Every histogram row of stats_descs is written as a histogram family. */
static void test_prom_write_every_histogram_named(void **state)
{
	unsigned want = 0, got = 0;
	for (size_t i = 0; i < stats_n_descs; i++)
		want += stats_descs[i].kind == STATS_HISTOGRAM;
	char *t = expose_zero();
	got = count(t, " histogram\n");
	assert_true(want > 0);
	assert_int_equal(got, want);
	free(t);
}

/* Every counter and gauge row of stats_descs has its family. */
static void test_prom_write_every_row(void **state)
{
	char *t = expose_zero();
	for (size_t i = 0; i < stats_n_descs; i++) {
		const struct stats_desc *d = &stats_descs[i];
		if (d->kind == STATS_HISTOGRAM || strcmp(d->name, "latency_ms_sum") == 0)
			continue;
		char line[160];
		snprintf(line, sizeof(line), "# TYPE mangrove_%s%s %s", d->name,
		         d->kind == STATS_COUNTER ? "_total" : "",
		         d->kind == STATS_COUNTER ? "counter" : "gauge");
		if (!has_line(t, line))
			fail_msg("missing: %s", line);
	}
	free(t);
}

/* The family a sample belongs to: its name less a histogram suffix when that family is one. */
static void family_of(const char *text, const char *sample, char *out, size_t len)
{
	size_t n = strcspn(sample, "{ ");
	snprintf(out, len, "%.*s", (int)n, sample);
	static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
	for (size_t i = 0; i < 3; i++) {
		size_t k = strlen(suffixes[i]);
		if (n > k && strncmp(out + n - k, suffixes[i], k) == 0) {
			char type[200];
			snprintf(type, sizeof(type), "# TYPE %.*s histogram", (int)(n - k), out);
			if (has_line(text, type)) {
				out[n - k] = '\0';
				return;
			}
		}
	}
}

/* Each sample follows the HELP and TYPE of its family; each family has them once. */
static void test_prom_write_help_and_type_for_every_family(void **state)
{
	char *t = expose_zero();
	char *copy = strdup(t);
	assert_non_null(copy);
	char current[200] = "";
	unsigned families = 0;
	for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char fam[200], want[260];
		if (strncmp(line, "# HELP ", 7) == 0) {
			snprintf(current, sizeof(current), "%.*s", (int)strcspn(line + 7, " "),
			         line + 7);
			snprintf(want, sizeof(want), "# HELP %s ", current);
			assert_int_equal(count(t, want), 1);
			assert_true(strlen(line) > strlen(want)); /* help text given */
			families++;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			snprintf(want, sizeof(want), "# TYPE %s ", current);
			assert_int_equal(strncmp(line, want, strlen(want)), 0);
			continue;
		}
		family_of(t, line, fam, sizeof(fam));
		assert_string_equal(fam, current);
	}
	assert_true(families > stats_n_descs);
	free(copy);
	free(t);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_prom_write_no_duplicate_series(void **state)
{
	struct prom_extra x = {.memory_known = PROM_MEM_RSS | PROM_MEM_HEAP};
	struct stats s;
	memset(&s, 0, sizeof(s));
	char *t = expose(&s, &x);
	char *series[1024];
	size_t n = 0;
	for (char *save = NULL, *line = strtok_r(t, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		*strrchr(line, ' ') = '\0'; /* the name and labels, less the value */
		assert_true(n < sizeof(series) / sizeof(series[0]));
		series[n++] = line;
	}
	qsort(series, n, sizeof(series[0]), cmp_str);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(series[i - 1], series[i]) == 0)
			fail_msg("duplicate series %s", series[i]);
	}
	free(t);
}

static void test_prom_write_extras(void **state)
{
	struct stats s;
	struct prom_extra x = {.cache_entries = 12,
	                       .cache_max_bytes = 67108864,
	                       .cache_hits = 9,
	                       .uptime_seconds = 42,
	                       .workers = 2,
	                       .metrics_dropped = 1};
	x.metrics_responses[PROM_HTTP_404] = 3;
	x.kind_entries[0] = 7;
	x.kind_entries[1] = 5;
	x.kind_evictions[1] = 4;
	memset(&s, 0, sizeof(s));
	STATS_ADD(&s, cache_hits, 5);
	char *t = expose(&s, &x);
	assert_true(has_line(t, "mangrove_cache_entries 12"));
	assert_true(has_line(t, "mangrove_cache_max_bytes 67108864"));
	assert_true(has_line(t, "mangrove_cache_lookup_hits_total 9"));
	assert_true(has_line(t, "mangrove_cache_hits_total 5")); /* the client questions */
	assert_true(has_line(t, "mangrove_cache_entries_by_kind{kind=\"message\"} 7"));
	assert_true(has_line(t, "mangrove_cache_entries_by_kind{kind=\"rrset\"} 5"));
	assert_true(has_line(t, "mangrove_cache_evictions_by_kind_total{kind=\"rrset\"} 4"));
	assert_true(has_line(t, "mangrove_uptime_seconds 42"));
	assert_true(has_line(t, "mangrove_workers 2"));
	assert_true(has_line(t, "mangrove_metrics_requests_total{code=\"404\"} 3"));
	assert_true(has_line(t, "mangrove_metrics_requests_total{code=\"200\"} 0"));
	assert_true(has_line(t, "mangrove_metrics_dropped_total 1"));
	assert_true(has_line(t, "mangrove_build_info{version=\"" PACKAGE_VERSION "\"} 1"));
	free(t);
}

static void test_prom_write_memory_only_when_known(void **state)
{
	struct stats s;
	struct prom_extra x = {.memory_rss_bytes = 4096, .memory_heap_bytes = 512};
	memset(&s, 0, sizeof(s));
	char *t = expose(&s, &x);
	assert_null(strstr(t, "mangrove_memory_"));
	free(t);
	x.memory_known = PROM_MEM_RSS;
	t = expose(&s, &x);
	assert_true(has_line(t, "mangrove_memory_rss_bytes 4096"));
	assert_null(strstr(t, "mangrove_memory_heap_bytes"));
	free(t);
	x.memory_known = PROM_MEM_RSS | PROM_MEM_HEAP;
	t = expose(&s, &x);
	assert_true(has_line(t, "mangrove_memory_heap_bytes 512"));
	free(t);
}

static void test_prom_write_fixed_buffer(void **state)
{
	struct stats s;
	struct prom_extra x = {0};
	memset(&s, 0, sizeof(s));
	char *t = expose(&s, &x);
	size_t need = strlen(t);
	char *buf = malloc(need + 1);
	assert_non_null(buf);
	struct prom_out o;
	prom_out_init_fixed(&o, buf, need);
	assert_int_equal(prom_write(&o, &s, &x), 0);
	assert_int_equal(o.len, need);
	assert_memory_equal(buf, t, need);
	prom_out_free(&o); /* leaves the caller's buffer alone */
	prom_out_init_fixed(&o, buf, need - 1);
	assert_int_equal(prom_write(&o, &s, &x), ERR_SPACE);
	assert_true(o.len <= need - 1);
	free(buf);
	free(t);
}

static void test_prom_write_growing_buffer_max(void **state)
{
	struct stats s;
	struct prom_extra x = {0};
	memset(&s, 0, sizeof(s));
	struct prom_out o;
	prom_out_init(&o, 100);
	assert_int_equal(prom_write(&o, &s, &x), ERR_SPACE);
	assert_true(o.len <= 100);
	prom_out_free(&o);
}

static void test_prom_put_escaped_label(void **state)
{
	char buf[64];
	struct prom_out o;
	prom_out_init_fixed(&o, buf, sizeof(buf));
	prom_put_escaped(&o, "a\\b\"c\nd", true);
	assert_int_equal(o.len, strlen("a\\\\b\\\"c\\nd"));
	assert_memory_equal(buf, "a\\\\b\\\"c\\nd", o.len);
}

static void test_prom_put_escaped_help(void **state)
{
	char buf[64];
	struct prom_out o;
	prom_out_init_fixed(&o, buf, sizeof(buf));
	prom_put_escaped(&o, "a\\b\"c\nd", false); /* quotes stay as they are in HELP */
	assert_int_equal(o.len, strlen("a\\\\b\"c\\nd"));
	assert_memory_equal(buf, "a\\\\b\"c\\nd", o.len);
}

static void test_prom_http_name(void **state)
{
	assert_string_equal(prom_http_name(PROM_HTTP_200), "200");
	assert_string_equal(prom_http_name(PROM_HTTP_431), "431");
	assert_string_equal(prom_http_name(PROM_HTTP_MAX_), "other");
}

static void test_prom_memory_reads_rss(void **state)
{
	uint64_t rss = 1, heap = 1;
	unsigned known = prom_memory(&rss, &heap);
	assert_true(known & PROM_MEM_RSS); /* Linux: /proc/self/statm */
	assert_true(rss > 0);
#ifdef HAVE_MALLINFO2
	assert_true(known & PROM_MEM_HEAP);
#else
	assert_false(known & PROM_MEM_HEAP);
	assert_int_equal(heap, 0);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_prom_write_counter),
	        cmocka_unit_test(test_prom_write_gauge_has_no_total),
	        cmocka_unit_test(test_prom_write_labelled_array),
	        cmocka_unit_test(test_prom_write_histogram_cumulative),
	        cmocka_unit_test(test_prom_write_histogram_sum_in_seconds),
	        cmocka_unit_test(test_prom_write_latency_ms_sum_not_its_own_metric),
	        cmocka_unit_test(test_prom_write_every_histogram_named),
	        cmocka_unit_test(test_prom_write_every_row),
	        cmocka_unit_test(test_prom_write_help_and_type_for_every_family),
	        cmocka_unit_test(test_prom_write_no_duplicate_series),
	        cmocka_unit_test(test_prom_write_extras),
	        cmocka_unit_test(test_prom_write_memory_only_when_known),
	        cmocka_unit_test(test_prom_write_fixed_buffer),
	        cmocka_unit_test(test_prom_write_growing_buffer_max),
	        cmocka_unit_test(test_prom_put_escaped_label),
	        cmocka_unit_test(test_prom_put_escaped_help),
	        cmocka_unit_test(test_prom_http_name),
	        cmocka_unit_test(test_prom_memory_reads_rss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
