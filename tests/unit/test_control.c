/*
 * test_control.c - the control protocol's request parser (ctl_parse).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mangrove/control.h"
#include "mangrove/errors.h"

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
	assert_int_equal(r.arg, 4);
}

static void test_ctl_parse_verbosity_range(void **state)
{
	struct ctl_request r;
	assert_int_equal(parse("verbosity 0", &r), 0);
	assert_int_equal(r.arg, 0);
	assert_int_equal(parse("verbosity 6", &r), ERR_RANGE);
	assert_int_equal(parse("verbosity -1", &r), ERR_RANGE);
	assert_int_equal(parse("verbosity 12", &r), ERR_RANGE);
	assert_string_equal(err, "verbosity must be a number from 0 to 5");
}

static void test_ctl_parse_argument_count(void **state)
{
	struct ctl_request r;
	assert_int_equal(parse("verbosity", &r), ERR_SYNTAX);
	assert_string_equal(err, "verbosity takes 1 argument");
	assert_int_equal(parse("status now", &r), ERR_SYNTAX);
	assert_string_equal(err, "status takes 0 arguments");
	assert_int_equal(parse("stop a b c d e", &r), ERR_SYNTAX);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
