/* Unit tests of the log sinks (shim/sink.c) as kashim-kernel links them:
 * built with -DKASHIM_SINK_LIBC (plain libc calls, no preload).  The
 * preload's build of the same file is tested through libkashim.so by
 * check_log_sinks.  Each case runs in its own Check fork, so the sink's
 * state and fd 2 changes stay in that case. */
#include <check.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sink.h"
#include "testlib.h"

#define TIMEOUT 10

/* cppcheck reads this file without the system headers; tell it what a
 * Check test is, or it loses track of the code after the first one. */
#ifndef START_TEST
#define START_TEST(name) static void name(int _i)
#define END_TEST
#endif

/* ---------------------------------------------------------------- helpers */

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_sink.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void in_dir(char *out, size_t cap, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	ck_assert(n > 0 && (size_t)n < cap);
}

/* The whole file; the test fails when it cannot be read. */
static const char *file_text(const char *path)
{
	const char *text = kt_read_file(path, NULL);

	ck_assert_msg(text != NULL, "%s: %s", path, strerror(errno));
	return text;
}

static char warned[512];
static int warnings;

static void warn_here(const char *line, void *ctx)
{
	(void)ctx;
	snprintf(warned, sizeof(warned), "%s", line);
	warnings++;
}

/* fd 2 becomes the file at path (created empty). */
static void stderr_to(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert(fd >= 0);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
}

/* ------------------------------------------------------------------ file */

START_TEST(file_gets_one_line_per_emit)
{
	char path[128];

	make_dir();
	in_dir(path, sizeof(path), "k.log");
	ck_assert_int_eq(kashim_sink_init(KASHIM_SINK_FILE, path, warn_here),
			 KASHIM_SINK_FILE);
	ck_assert_int_eq(warnings, 0);
	kashim_sink_emit(4242, "peer dead fd=7");
	kashim_sink_emit(17, "second");
	ck_assert_str_eq(file_text(path), "kashim[4242]: peer dead fd=7\n"
			       "kashim[17]: second\n");
	unlink(path);
	rmdir(dir);
}
END_TEST

/* A file that cannot be opened: one warning naming the variable and the
 * path, and no sink.  Without a warn function (a long-running reader),
 * the file is not tried at set-up and a line written once it can be
 * opened arrives. */
START_TEST(file_unusable_warns_or_waits)
{
	char sub[128], path[160];

	make_dir();
	in_dir(sub, sizeof(sub), "later");
	snprintf(path, sizeof(path), "%s/k.log", sub);
	ck_assert_int_eq(kashim_sink_init(KASHIM_SINK_FILE, path, warn_here),
			 KASHIM_SINK_OFF);
	ck_assert_int_eq(warnings, 1);
	ck_assert_msg(strstr(warned, "KASHIM_LOG='") && strstr(warned, path) &&
		      strstr(warned, "(ENOENT)"), "warning: %s", warned);
	ck_assert_int_eq(kashim_sink_init(KASHIM_SINK_FILE, path, NULL),
			 KASHIM_SINK_FILE);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	kashim_sink_emit(5, "after");
	ck_assert_str_eq(file_text(path), "kashim[5]: after\n");
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}
END_TEST

/* ---------------------------------------------------------------- syslog */

START_TEST(syslog_gets_one_datagram)
{
	struct sockaddr_un sun;
	char path[sizeof(sun.sun_path)], got[512];
	struct timeval tv = { TIMEOUT, 0 };
	const char *tail = " kashim[99]: peer dead x=1";
	ssize_t n;
	int s;

	make_dir();
	in_dir(path, sizeof(path), "log.sock");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, sizeof(path));
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert(s >= 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)), 0);
	ck_assert_int_eq(setenv("KASHIM_SYSLOG_SOCKET", path, 1), 0);
	ck_assert_int_eq(kashim_sink_init(KASHIM_SINK_SYSLOG, "", warn_here),
			 KASHIM_SINK_SYSLOG);
	kashim_sink_emit(99, "peer dead x=1");
	n = recv(s, got, sizeof(got) - 1, 0);
	ck_assert_msg(n > 0, "no datagram: %s", strerror(errno));
	got[n] = '\0';
	/* "<28>Dec  2 00:44:14 kashim[99]: ...": priority, a 15-character
	 * RFC 3164 stamp, the ident with the program's pid, the text. */
	ck_assert_msg(strncmp(got, "<28>", 4) == 0 &&
		      (size_t)n == 4 + 15 + strlen(tail) &&
		      strcmp(got + 4 + 15, tail) == 0 && got[4 + 3] == ' ' &&
		      got[4 + 9] == ':' && got[4 + 12] == ':', "got '%s'", got);
	close(s);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* ---------------------------------------------------------------- stderr */

/* The line goes to the fd 2 of set-up, and nowhere once fd 2 is another
 * file (a daemon that reused the number). */
START_TEST(stderr_only_while_it_is_the_same_file)
{
	char first[128], second[128];

	make_dir();
	in_dir(first, sizeof(first), "err1");
	in_dir(second, sizeof(second), "err2");
	stderr_to(first);
	ck_assert_int_eq(kashim_sink_init(KASHIM_SINK_STDERR, "", warn_here),
			 KASHIM_SINK_STDERR);
	kashim_sink_emit(3, "to the first");
	stderr_to(second);
	kashim_sink_emit(3, "to nobody");
	ck_assert_str_eq(file_text(first), "kashim[3]: to the first\n");
	ck_assert_str_eq(file_text(second), "");
	unlink(first);
	unlink(second);
	rmdir(dir);
}
END_TEST

/* fd 2 a TCP socket (an inetd service's client): no sink.  The socket is
 * never connected: no traffic. */
START_TEST(stderr_that_is_tcp_is_refused)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert(s >= 0);
	ck_assert_int_eq(dup2(s, 2), 2);
	close(s);
	ck_assert_int_eq(kashim_sink_init(KASHIM_SINK_STDERR, "", warn_here),
			 KASHIM_SINK_OFF);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sink");
	TCase *tc = kt_tcase(s, "sinks", TIMEOUT);

	tcase_add_test(tc, file_gets_one_line_per_emit);
	tcase_add_test(tc, file_unusable_warns_or_waits);
	tcase_add_test(tc, syslog_gets_one_datagram);
	tcase_add_test(tc, stderr_only_while_it_is_the_same_file);
	tcase_add_test(tc, stderr_that_is_tcp_is_refused);
	return kt_main(s);
}
