/* A numeric IPv4 or IPv6 address and a port as a socket address: shared by
 * the test programs and testlib (header-only, so the small programs that
 * run under the preload stay single files). */
#ifndef KASHIM_TEST_ADDR_H
#define KASHIM_TEST_ADDR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* The length of the address written into *ss, or 0 when addr is neither
 * IPv4 nor IPv6. */
static inline socklen_t kt_make_addr(const char *addr, int port,
				     struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		return sizeof *a4;
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return sizeof *a6;
	}
	return 0;
}

#endif
