/* kuring — kclient through io_uring: IORING_OP_CONNECT, then
 * IORING_OP_RECV; no connect() or recv() call at all.
 *
 *   kuring HOST PORT     prints "up", "opts ...", then "dead err=..."
 */
#include <liburing.h>

#include "kpeer.h"

static int run_op(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int res;

	io_uring_submit(ring);
	if (io_uring_wait_cqe(ring, &cqe) != 0)
		return -EIO;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct io_uring ring;
	socklen_t len;
	char buf[64];
	int fd, res;

	if (argc != 3)
		return 2;
	len = kp_addr(argv[1], atoi(argv[2]), &ss);
	if (io_uring_queue_init(4, &ring, 0) != 0) {
		perror("io_uring_queue_init");
		return 1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	io_uring_prep_connect(io_uring_get_sqe(&ring), fd,
			      (struct sockaddr *)&ss, len);
	res = run_op(&ring);
	if (res < 0) {
		printf("connect err=%s\n", strerrorname_np(-res));
		return 1;
	}
	printf("up fd=%d\n", fd);
	kp_opts("opts", fd);
	io_uring_prep_recv(io_uring_get_sqe(&ring), fd, buf, sizeof(buf), 0);
	res = run_op(&ring);
	kp_dead(res < 0 ? -1 : res, -res);
	return 0;
}
