/*
 * log.c - one line per call, timestamped, written with a single write so lines
 * from several worker threads do not interleave.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mangrove/errors.h"
#include "mangrove/log.h"

static atomic_int log_fd = 2;
static atomic_int log_level = 1;

int log_open(const char *path)
{
	if (path == NULL || path[0] == '\0') {
		log_close();
		return 0;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return ERR_IO;
	int old = atomic_exchange(&log_fd, fd);
	if (old > 2)
		close(old);
	return 0;
}

void log_close(void)
{
	int old = atomic_exchange(&log_fd, 2);
	if (old > 2)
		close(old);
}

void log_set_verbosity(int verbosity)
{
	atomic_store(&log_level, verbosity);
}

int log_verbosity(void)
{
	return atomic_load(&log_level);
}

bool log_enabled(int level)
{
	return level <= atomic_load(&log_level);
}

void log_msg(int level, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	char line[1024];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n,
	                      ".%03ldZ mangrove[%d]: ", ts.tv_nsec / 1000000, (int)getpid());
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	n += (size_t)k;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	int fd = atomic_load(&log_fd);
	ssize_t w = write(fd, line, n);
	(void)w;
}
