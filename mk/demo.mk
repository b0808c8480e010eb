# `make demo` (issue 4): scripts/demo shows an unmodified client stuck on a
# vanished server without kashim and freed with it, in a private network
# namespace.  Needs socat, nftables, iproute2, util-linux (scripts/deps).

demo: $(LIB)
	@KASHIM_LIB='$(abspath $(LIB))' sh scripts/demo
