/* kashim — the part of the kernel's struct tcp_info that kashim reads.
 *
 * glibc's <netinet/tcp.h> stops at tcpi_total_retrans and <linux/tcp.h>
 * clashes with it (and is absent for musl), so the layout of the Linux UAPI
 * (include/uapi/linux/tcp.h) is written out here up to tcpi_snd_wnd.  The
 * kernel copies min(our size, its size) and says how much in optlen, so an
 * older kernel simply leaves the later fields unreported.
 */
#ifndef KASHIM_TCPINFO_H
#define KASHIM_TCPINFO_H

#include <stddef.h>
#include <stdint.h>

struct kashim_tcp_info {
	uint8_t state, ca_state, retransmits, probes, backoff, options;
	uint8_t wscale, rate_flags;
	uint32_t rto, ato, snd_mss, rcv_mss;
	uint32_t unacked, sacked, lost, retrans, fackets;
	uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
	uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd;
	uint32_t advmss, reordering, rcv_rtt, rcv_space, total_retrans;
	uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	uint32_t segs_out, segs_in;
	uint32_t notsent_bytes, min_rtt, data_segs_in, data_segs_out;
	uint64_t delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
	uint32_t delivered, delivered_ce;
	uint64_t bytes_sent, bytes_retrans;
	uint32_t dsack_dups, reord_seen, rcv_ooopack, snd_wnd;
};

_Static_assert(offsetof(struct kashim_tcp_info, last_ack_recv) == 56, "uapi");
_Static_assert(offsetof(struct kashim_tcp_info, total_retrans) == 100, "uapi");
_Static_assert(offsetof(struct kashim_tcp_info, segs_in) == 140, "uapi");
_Static_assert(offsetof(struct kashim_tcp_info, snd_wnd) == 228, "uapi");

#define KASHIM_TCP_CLOSE 7      /* tcpi_state of a connection the kernel ended */

#endif
