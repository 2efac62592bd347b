/* errors.c - text for the error codes in errors.h. */
#include "mangrove/errors.h"

const char *err_str(int code)
{
	switch (code) {
	case ERR_OK:
		return "success";
#define ERR_CASE_(name, text)                                                                      \
	case ERR_##name:                                                                           \
		return text;
		ERR_MAP(ERR_CASE_)
#undef ERR_CASE_
	default:
		return "unknown error";
	}
}
