/* kashim — the log sinks: set-up, file, syslog, stderr (see sink.h). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "logfmt.h"
#include "sink.h"

#ifdef KASHIM_SINK_LIBC
#define SINK_CALL(name) name
#else
#include "real.h"
#define SINK_CALL(name) KASHIM_REAL(name)
#endif

static int sink = KASHIM_SINK_OFF;  /* enum kashim_sink in effect */
static char log_path[KASHIM_PATH_MAX];
static dev_t stderr_dev;
static ino_t stderr_ino;
static char syslog_path[sizeof(((struct sockaddr_un *)0)->sun_path)] =
	"/dev/log";
static long tz_offset;           /* seconds east of UTC, for syslog stamps */

/* ---- set-up ------------------------------------------------------------ */

static int open_log_file(void)
{
	return open(log_path,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
}

static void file_unusable(kashim_warn_fn warn, int err)
{
	struct kashim_buf b;
	char line[KASHIM_PATH_MAX + 200], name[16];

	b.p = line;
	b.cap = sizeof(line);
	b.len = 0;
	line[0] = '\0';
	kb_str(&b, "kashim: KASHIM_LOG='");
	kb_str(&b, log_path);
	kb_str(&b, "' cannot be opened for appending (");
	kb_str(&b, kashim_errname(err, name));
	kb_str(&b, "); expected off, stderr, syslog or a writable absolute "
		   "file path; using the default off");
	warn(line, NULL);
}

static void syslog_setup(void)
{
	const char *p = getenv("KASHIM_SYSLOG_SOCKET");  /* for tests */
	struct tm tm;
	time_t now = time(NULL);

	if (p && *p == '/' && strlen(p) < sizeof(syslog_path))
		strcpy(syslog_path, p);
	if (localtime_r(&now, &tm))
		tz_offset = tm.tm_gmtoff;
}

/* fd 2 is a TCP connection: an inetd-style service's stderr is often its
 * client.  kashim's text must never go into a program's connection. */
static int stderr_is_tcp(const struct stat *st)
{
	int proto = 0;
	socklen_t len = sizeof(proto);

	return S_ISSOCK(st->st_mode) &&
	       SINK_CALL(getsockopt)(2, SOL_SOCKET, SO_PROTOCOL, &proto,
				     &len) == 0 &&
	       proto == IPPROTO_TCP;
}

int kashim_sink_init(int want, const char *path, kashim_warn_fn warn)
{
	size_t n = strnlen(path, sizeof(log_path) - 1);
	struct stat st;
	int fd;

	sink = want;
	memcpy(log_path, path, n);      /* path may be shorter than log_path */
	log_path[n] = '\0';
	if (sink == KASHIM_SINK_STDERR) {
		if (fstat(2, &st) == 0 && !stderr_is_tcp(&st)) {
			stderr_dev = st.st_dev;
			stderr_ino = st.st_ino;
		} else {
			sink = KASHIM_SINK_OFF;  /* none, or a connection */
		}
	} else if (sink == KASHIM_SINK_FILE && warn) {
		fd = open_log_file();
		if (fd < 0) {
			file_unusable(warn, errno);
			sink = KASHIM_SINK_OFF;
		} else {
			SINK_CALL(close)(fd);
		}
	} else if (sink == KASHIM_SINK_SYSLOG) {
		syslog_setup();
	}
	return sink;
}

/* ---- sinks ------------------------------------------------------------- */

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = SINK_CALL(write)(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static int stderr_is_ours(void)
{
	struct stat st;

	return fstat(2, &st) == 0 && st.st_dev == stderr_dev &&
	       st.st_ino == stderr_ino;
}

/* "Nov 25 21:47:17" in the local time of set-up, computed by hand:
 * localtime_r may read files and take locks, which a hook must not. */
static void kb_syslog_stamp(struct kashim_buf *b)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	long long t = (long long)time(NULL) + tz_offset;
	long long days = t / 86400, secs = t % 86400;
	long long z = days + 719468, era = z / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	long long d = doy - (153 * mp + 2) / 5 + 1;
	long long m = mp < 10 ? mp + 3 : mp - 9;
	char mon[4] = { months[(m - 1) * 3], months[(m - 1) * 3 + 1],
			months[(m - 1) * 3 + 2], '\0' };

	kb_str(b, mon);
	kb_str(b, d < 10 ? "  " : " ");
	kb_num(b, d);
	kb_str(b, secs / 3600 < 10 ? " 0" : " ");
	kb_num(b, secs / 3600);
	kb_str(b, (secs / 60) % 60 < 10 ? ":0" : ":");
	kb_num(b, (secs / 60) % 60);
	kb_str(b, secs % 60 < 10 ? ":0" : ":");
	kb_num(b, secs % 60);
}

static void to_syslog(long pid, const char *msg)
{
	char line[KASHIM_LINE_MAX + 64];
	struct kashim_buf b = { line, sizeof(line), 0 };
	struct sockaddr_un sun;
	int fd;

	line[0] = '\0';
	kb_str(&b, "<28>");     /* LOG_DAEMON | LOG_WARNING */
	kb_syslog_stamp(&b);
	kb_str(&b, " kashim[");
	kb_num(&b, pid);
	kb_str(&b, "]: ");
	kb_str(&b, msg);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, syslog_path, sizeof(sun.sun_path));
	fd = SINK_CALL(socket)(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	SINK_CALL(sendto)(fd, line, b.len, MSG_NOSIGNAL,
			  (struct sockaddr *)&sun, sizeof(sun));
	SINK_CALL(close)(fd);
}

/* One line, one write: lines from threads and processes never mix. */
void kashim_sink_emit(long pid, const char *msg)
{
	char line[KASHIM_LINE_MAX + 64];
	struct kashim_buf b = { line, sizeof(line) - 1, 0 };
	int fd;

	if (sink == KASHIM_SINK_SYSLOG) {
		to_syslog(pid, msg);
		return;
	}
	line[0] = '\0';
	b.len = kashim_fmt_prefix(line, b.cap, pid);
	kb_str(&b, msg);
	line[b.len++] = '\n';
	if (sink == KASHIM_SINK_STDERR) {
		if (stderr_is_ours())
			write_all(2, line, b.len);
	} else if (sink == KASHIM_SINK_FILE) {
		fd = open_log_file();
		if (fd >= 0) {
			write_all(fd, line, b.len);
			SINK_CALL(close)(fd);
		}
	}
}
