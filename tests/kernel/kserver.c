/* kserver — accept one TCP connection, for the kernel-mode tests.
 *
 *   kserver [-k] HOST PORT   listen, print "listening", accept one, print
 *                            its options ("opts ..."), block in recv(),
 *                            print "dead err=..."; with -k, keep the
 *                            socket open until stdin ends
 */
#include "kpeer.h"

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[64];
	int l, fd, one = 1, keep = 0;
	long r;

	if (argc == 4 && strcmp(argv[1], "-k") == 0) {
		keep = 1;
		argv++;
		argc--;
	}
	if (argc != 3)
		return 2;
	len = kp_addr(argv[1], atoi(argv[2]), &ss);
	l = socket(ss.ss_family, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&ss, len) != 0 || listen(l, 4) != 0) {
		perror("listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	fd = accept(l, NULL, NULL);
	if (fd < 0) {
		perror("accept");
		return 1;
	}
	printf("up fd=%d\n", fd);
	kp_opts("opts", fd);
	r = recv(fd, buf, sizeof(buf), 0);
	kp_dead(r, errno);
	while (keep && fgets(buf, sizeof(buf), stdin))
		;
	return 0;
}
