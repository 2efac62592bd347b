/*
 * test_control.c - the control protocol's request parser (ctl_parse) and
 * the reply writer (ctl_out, text and JSON).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "mangrove/control.h"
#include "mangrove/errors.h"
#include "src/daemon/ctl_out.h"

static char err[256];

static int parse(const char *line, struct ctl_request *r)
{
	err[0] = '\0';
	return ctl_parse(line, strlen(line), r, err, sizeof(err));
}

static void test_ctl_parse_status(void **state)
{
	struct ctl_request r;
	assert_int_equal(parse("status", &r), 0);
	assert_int_equal(r.cmd, CTL_STATUS);
}

static void test_ctl_parse_each_command(void **state)
{
	struct ctl_request r;
	assert_int_equal(parse("stats", &r), 0);
	assert_int_equal(r.cmd, CTL_STATS);
	assert_int_equal(parse("flush-all", &r), 0);
	assert_int_equal(r.cmd, CTL_FLUSH_ALL);
	assert_int_equal(parse("stop", &r), 0);
	assert_int_equal(r.cmd, CTL_STOP);
}

static void test_ctl_parse_blanks_and_cr(void **state)
{
	struct ctl_request r;
	assert_int_equal(parse("  \tverbosity \t 4 \r", &r), 0);
	assert_int_equal(r.cmd, CTL_VERBOSITY);
	assert_int_equal(r.level, 4);
}

static void test_ctl_parse_verbosity_range(void **state)
{
	struct ctl_request r;
	assert_int_equal(parse("verbosity 0", &r), 0);
	assert_int_equal(r.level, 0);
	assert_int_equal(parse("verbosity 6", &r), ERR_RANGE);
	assert_int_equal(parse("verbosity -1", &r), ERR_RANGE);
	assert_int_equal(parse("verbosity 12", &r), ERR_RANGE);
	assert_string_equal(err, "verbosity must be a number from 0 to 5");
}

static void test_ctl_parse_argument_count(void **state)
{
	struct ctl_request r;
	assert_int_equal(parse("verbosity", &r), ERR_SYNTAX);
	assert_string_equal(err, "usage: verbosity N");
	assert_int_equal(parse("status now", &r), ERR_SYNTAX);
	assert_string_equal(err, "usage: status");
	assert_int_equal(parse("stop a b c d e", &r), ERR_SYNTAX);
	assert_int_equal(parse("flush", &r), ERR_SYNTAX);
	assert_string_equal(err, "usage: flush NAME [TYPE]");
	assert_int_equal(parse("flush a. A b", &r), ERR_SYNTAX);
	assert_int_equal(parse("stats --now", &r), ERR_SYNTAX);
	assert_string_equal(err, "usage: stats [--reset]");
	assert_int_equal(parse("stats --reset x", &r), ERR_SYNTAX);
}

static void test_ctl_parse_unknown(void **state)
{
	struct ctl_request r;
	assert_int_equal(parse("reboot", &r), ERR_NOTFOUND);
	assert_string_equal(err, "unknown command 'reboot'");
	assert_int_equal(parse("Status", &r), ERR_NOTFOUND);
}

static void test_ctl_parse_unknown_shown_printable(void **state)
{
	struct ctl_request r;
	assert_int_equal(parse("st\x01\xff", &r), ERR_NOTFOUND);
	assert_string_equal(err, "unknown command 'st?"
	                         "?'");
}

static void test_ctl_parse_empty(void **state)
{
	struct ctl_request r;
	assert_int_equal(parse("", &r), ERR_SYNTAX);
	assert_int_equal(parse(" \t ", &r), ERR_SYNTAX);
	assert_string_equal(err, "empty request");
}

static void test_ctl_parse_nul_byte(void **state)
{
	struct ctl_request r;
	assert_int_equal(ctl_parse("stats\0x", 7, &r, err, sizeof(err)), ERR_SYNTAX);
}

static void test_ctl_parse_too_long(void **state)
{
	static char line[CTL_REQUEST_MAX + 2];
	struct ctl_request r;
	memset(line, ' ', sizeof(line));
	memcpy(line, "status", 6);
	assert_int_equal(ctl_parse(line, CTL_REQUEST_MAX, &r, err, sizeof(err)), 0);
	line[CTL_REQUEST_MAX] = '\r';
	assert_int_equal(ctl_parse(line, CTL_REQUEST_MAX + 1, &r, err, sizeof(err)), 0);
	line[CTL_REQUEST_MAX] = ' ';
	assert_int_equal(ctl_parse(line, CTL_REQUEST_MAX + 1, &r, err, sizeof(err)), ERR_SYNTAX);
	assert_string_equal(err, "request longer than 4096 bytes");
}

static void test_ctl_parse_json_and_reset(void **state)
{
	struct ctl_request r;
	assert_int_equal(parse("--json stats --reset", &r), 0);
	assert_int_equal(r.cmd, CTL_STATS);
	assert_true(r.json);
	assert_true(r.reset);
	assert_int_equal(parse("stats", &r), 0);
	assert_false(r.json);
	assert_false(r.reset);
	assert_int_equal(parse("--json", &r), ERR_SYNTAX);
	assert_string_equal(err, "empty request");
}

static void test_ctl_parse_flush_name_type(void **state)
{
	struct ctl_request r;
	static const uint8_t wire[] = "\x03www\x07"
	                              "example\x00";
	assert_int_equal(parse("flush WWW.Example. aaaa", &r), 0);
	assert_int_equal(r.cmd, CTL_FLUSH);
	assert_int_equal(r.name_len, sizeof(wire) - 1);
	assert_memory_equal(r.name, wire, sizeof(wire) - 1); /* lower-cased */
	assert_int_equal(r.type, 28);
	assert_int_equal(parse("flush www.example", &r), 0);
	assert_int_equal(r.type, 0);
	assert_int_equal(parse("flush www.example TYPE65", &r), 0);
	assert_int_equal(r.type, 65);
	assert_int_equal(parse("flush www.example NOTATYPE", &r), ERR_RANGE);
	assert_string_equal(err, "'NOTATYPE' is not a record type");
	assert_int_equal(parse("flush-zone a..b", &r), ERR_SYNTAX);
	assert_string_equal(err, "'a..b' is not a domain name");
	assert_int_equal(parse("flush-zone .", &r), 0);
	assert_int_equal(r.name_len, 1);
}

static void test_ctl_parse_flush_infra(void **state)
{
	struct ctl_request r;
	assert_int_equal(parse("flush-infra", &r), 0);
	assert_true(r.all);
	assert_int_equal(parse("flush-infra all", &r), 0);
	assert_true(r.all);
	assert_int_equal(parse("flush-infra 192.0.2.1", &r), 0);
	assert_false(r.all);
	assert_int_equal(sa_family(&r.addr), AF_INET);
	assert_int_equal(parse("flush-infra 2001:db8::1", &r), 0);
	assert_int_equal(sa_family(&r.addr), AF_INET6);
	assert_int_equal(parse("flush-infra example.com", &r), ERR_SYNTAX);
	assert_string_equal(err, "'example.com' is not an IP address (or 'all')");
}

static void test_ctl_parse_nta(void **state)
{
	struct ctl_request r;
	assert_int_equal(parse("nta add bad.example 2h", &r), 0);
	assert_int_equal(r.cmd, CTL_NTA_ADD);
	assert_int_equal(r.lifetime, 7200);
	assert_int_equal(parse("nta add bad.example", &r), 0);
	assert_int_equal(r.lifetime, 0);
	assert_int_equal(parse("nta remove bad.example", &r), 0);
	assert_int_equal(r.cmd, CTL_NTA_REMOVE);
	assert_int_equal(parse("nta list", &r), 0);
	assert_int_equal(r.cmd, CTL_NTA_LIST);
	assert_int_equal(parse("nta add bad.example 2w", &r), ERR_RANGE);
	assert_int_equal(parse("nta", &r), ERR_NOTFOUND);
	assert_string_equal(err, "usage: nta add NAME [LIFETIME] | nta remove NAME | nta list");
	assert_int_equal(parse("nta list x", &r), ERR_SYNTAX);
}

static void test_ctl_parse_duration_units(void **state)
{
	uint32_t v;
	assert_int_equal(ctl_parse_duration("90", 2, &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(ctl_parse_duration("30m", 3, &v), 0);
	assert_int_equal(v, 1800);
	assert_int_equal(ctl_parse_duration("7d", 2, &v), 0);
	assert_int_equal(v, 604800);
	assert_int_equal(ctl_parse_duration("", 0, &v), ERR_SYNTAX);
	assert_int_equal(ctl_parse_duration("h", 1, &v), ERR_SYNTAX);
	assert_int_equal(ctl_parse_duration("1hh", 3, &v), ERR_SYNTAX);
	assert_int_equal(ctl_parse_duration("99999999999", 11, &v), ERR_SYNTAX);
	assert_int_equal(ctl_parse_duration("50000000d", 9, &v), ERR_SYNTAX);
}

/* A reply with a field, a string needing quotes and a list of two items. */
static char *render(bool json, size_t max)
{
	static char out[1024];
	struct ctl_out o;
	ctl_out_init(&o, json, max);
	ctl_out_begin(&o);
	ctl_out_u64(&o, "entries", 3);
	ctl_out_str(&o, "zone", "example.");
	ctl_out_list_begin(&o, "servers");
	ctl_out_item_begin(&o);
	ctl_out_str(&o, "addr", "192.0.2.1");
	ctl_out_bool(&o, "lame", false);
	ctl_out_item_end(&o);
	ctl_out_item_begin(&o);
	ctl_out_str(&o, "note", "two \"words\"");
	ctl_out_i64(&o, "ede", -1);
	ctl_out_str(&o, "none", NULL);
	ctl_out_item_end(&o);
	ctl_out_list_end(&o);
	ctl_out_end(&o);
	snprintf(out, sizeof(out), "%s%.*s", ctl_out_truncated(&o) ? "TRUNCATED:" : "", (int)o.len,
	         o.buf != NULL ? o.buf : "");
	ctl_out_free(&o);
	return out;
}

static void test_ctl_out_text(void **state)
{
	assert_string_equal(render(false, 4096), "entries: 3\n"
	                                         "zone: example.\n"
	                                         "addr=192.0.2.1 lame=no\n"
	                                         "note=\"two \\\"words\\\"\" ede=-1 none=-\n");
}

static void test_ctl_out_json(void **state)
{
	assert_string_equal(render(true, 4096),
	                    "{\"entries\":3,\"zone\":\"example.\",\"servers\":["
	                    "{\"addr\":\"192.0.2.1\",\"lame\":false},"
	                    "{\"note\":\"two \\\"words\\\"\",\"ede\":-1,\"none\":null}]}\n");
}

static void test_ctl_out_json_escapes_control_bytes(void **state)
{
	struct ctl_out o;
	ctl_out_init(&o, true, 256);
	ctl_out_begin(&o);
	ctl_out_str(&o, "k", "a\nb\x01\\");
	ctl_out_end(&o);
	assert_int_equal(o.len, strlen("{\"k\":\"a\\u000ab\\u0001\\\\\"}\n"));
	assert_memory_equal(o.buf, "{\"k\":\"a\\u000ab\\u0001\\\\\"}\n", o.len);
	ctl_out_free(&o);
}

static void test_ctl_out_truncated(void **state)
{
	/* Nothing past the limit is written, not even the rest of a field. */
	assert_string_equal(render(false, 20), "TRUNCATED:entries: 3\nzone: ");
}

/* The whole file, NUL-terminated; fails the test when it cannot be read. */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[256 * 1024];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* True when the man page starts an entry with these command words (roff-escaped). */
static bool man_documents(const char *man, const char *usage)
{
	char words[128], esc[256], line[300];
	size_t n = 0, k = 0;
	/* The command words: the usage up to the first argument in capitals or brackets. */
	while (usage[n] != '\0' && usage[n] != '[' && !(usage[n] >= 'A' && usage[n] <= 'Z'))
		n++;
	while (n > 0 && usage[n - 1] == ' ')
		n--;
	snprintf(words, sizeof(words), "%.*s", (int)n, usage);
	for (size_t i = 0; words[i] != '\0' && k + 2 < sizeof(esc); i++) {
		if (words[i] == '-')
			esc[k++] = '\\';
		esc[k++] = words[i];
	}
	esc[k] = '\0';
	static const char *const macros[] = {"\n.B %s\n", "\n.BI %s \"", "\n.BI \"%s \"",
	                                     "\n.BR %s \""};
	for (size_t m = 0; m < sizeof(macros) / sizeof(macros[0]); m++) {
		snprintf(line, sizeof(line), macros[m], esc);
		if (strstr(man, line) != NULL)
			return true;
	}
	return false;
}

static void test_ctl_every_command_in_the_man_page(void **state)
{
	const char *man = read_file(SRCDIR "/man/mangrove-control.8");
	size_t missing = 0;
	for (size_t i = 0; i < ctl_command_count(); i++) {
		if (!man_documents(man, ctl_command_usage(i))) {
			print_error("man/mangrove-control.8 has no entry for '%s'\n",
			            ctl_command_usage(i));
			missing++;
		}
	}
	assert_int_equal(missing, 0);
	/* The check itself finds a command that is not there. */
	assert_false(man_documents(man, "reboot NOW"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ctl_parse_status),
	        cmocka_unit_test(test_ctl_parse_each_command),
	        cmocka_unit_test(test_ctl_parse_blanks_and_cr),
	        cmocka_unit_test(test_ctl_parse_verbosity_range),
	        cmocka_unit_test(test_ctl_parse_argument_count),
	        cmocka_unit_test(test_ctl_parse_unknown),
	        cmocka_unit_test(test_ctl_parse_unknown_shown_printable),
	        cmocka_unit_test(test_ctl_parse_empty),
	        cmocka_unit_test(test_ctl_parse_nul_byte),
	        cmocka_unit_test(test_ctl_parse_too_long),
	        cmocka_unit_test(test_ctl_parse_json_and_reset),
	        cmocka_unit_test(test_ctl_parse_flush_name_type),
	        cmocka_unit_test(test_ctl_parse_flush_infra),
	        cmocka_unit_test(test_ctl_parse_nta),
	        cmocka_unit_test(test_ctl_parse_duration_units),
	        cmocka_unit_test(test_ctl_out_text),
	        cmocka_unit_test(test_ctl_out_json),
	        cmocka_unit_test(test_ctl_out_json_escapes_control_bytes),
	        cmocka_unit_test(test_ctl_out_truncated),
	        cmocka_unit_test(test_ctl_every_command_in_the_man_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
