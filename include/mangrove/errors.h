/*
 * errors.h - the one list of error codes used across Mangrove.
 *
 * Functions return int: 0 on success, a negative ERR_* code on failure.
 * DNSSEC outcomes and DNS response codes are data, not errors.
 */
#ifndef MANGROVE_ERRORS_H
#define MANGROVE_ERRORS_H

#define ERR_MAP(X)                                                                                 \
	X(NOMEM, "out of memory")                                                                  \
	X(INVAL, "invalid argument")                                                               \
	X(SHORT, "input too short")                                                                \
	X(FORMERR, "malformed message")                                                            \
	X(NOTIMP, "not implemented")                                                               \
	X(BADVERS, "unsupported EDNS version")                                                     \
	X(SPACE, "buffer too small")                                                               \
	X(NOTFOUND, "not found")                                                                   \
	X(EXISTS, "already exists")                                                                \
	X(LIMIT, "limit reached")                                                                  \
	X(IO, "input/output error")                                                                \
	X(SYNTAX, "syntax error")                                                                  \
	X(RANGE, "value out of range")                                                             \
	X(TIMEOUT, "timed out")                                                                    \
	X(MISMATCH, "reply does not match the query")                                              \
	X(AGAIN, "try again")

enum err_code {
	ERR_OK = 0,
#define ERR_ENUM_(name, text) ERR_##name,
	ERR_FIRST_ = -1000,
	ERR_MAP(ERR_ENUM_)
#undef ERR_ENUM_
	        ERR_LAST_
};

/** Text for an error code (negative ERR_* or 0); never NULL. */
const char *err_str(int code);

#endif
