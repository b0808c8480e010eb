/* kashim kernel mode — the log reader's sinks (see sink.h). */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "logfmt.h"
#include "sink.h"

static int sink = KASHIM_SINK_OFF;
static char path[KASHIM_PATH_MAX];
static char syslog_path[sizeof(((struct sockaddr_un *)0)->sun_path)] =
	"/dev/log";

void kk_sink_init(const struct kashim_config *cfg)
{
	const char *p = getenv("KASHIM_SYSLOG_SOCKET");  /* for tests */

	sink = cfg->sink;
	memcpy(path, cfg->log_path, sizeof(path));
	path[sizeof(path) - 1] = '\0';
	if (p && *p == '/' && strlen(p) < sizeof(syslog_path))
		memcpy(syslog_path, p, strlen(p) + 1);
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* "Dec  1 23:59:07", local time (RFC 3164). */
static void kb_stamp(struct kashim_buf *b)
{
	char s[32];
	struct tm tm;
	time_t t = time(NULL);

	if (!localtime_r(&t, &tm) || !strftime(s, sizeof(s), "%b %e %H:%M:%S",
					       &tm))
		return;
	kb_str(b, s);
}

static void to_syslog(long pid, const char *msg)
{
	char line[KASHIM_LINE_MAX + 64];
	struct kashim_buf b = { line, sizeof(line), 0 };
	struct sockaddr_un sun;
	int fd;

	line[0] = '\0';
	kb_str(&b, "<28>");     /* LOG_DAEMON | LOG_WARNING */
	kb_stamp(&b);
	kb_str(&b, " kashim[");
	kb_num(&b, pid);
	kb_str(&b, "]: ");
	kb_str(&b, msg);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, syslog_path, sizeof(sun.sun_path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, line, b.len, MSG_NOSIGNAL, (struct sockaddr *)&sun,
		     sizeof(sun));
	close(fd);
}

void kk_sink_emit(long pid, const char *msg)
{
	char line[KASHIM_LINE_MAX + 64];
	struct kashim_buf b = { line, sizeof(line) - 1, 0 };
	int fd;

	if (sink == KASHIM_SINK_OFF)
		return;
	if (sink == KASHIM_SINK_SYSLOG) {
		to_syslog(pid, msg);
		return;
	}
	line[0] = '\0';
	b.len = kashim_fmt_prefix(line, b.cap, pid);
	kb_str(&b, msg);
	line[b.len++] = '\n';
	if (sink == KASHIM_SINK_STDERR) {
		write_all(2, line, b.len);
		return;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
		  0644);
	if (fd < 0)
		return;
	write_all(fd, line, b.len);
	close(fd);
}
