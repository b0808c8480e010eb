# `make demo`: scripts/demo shows an unmodified client stuck on a
# vanished server without kashim and freed with it, in a private network
# namespace.  Needs socat, nftables, iproute2, util-linux (scripts/deps).

# Like `make check`, it first installs what it lacks (scripts/deps), then
# builds the library in a sub-make.
demo:
	@sh scripts/deps
	@$(MAKE) --no-print-directory $(LIB)
	@KASHIM_LIB='$(abspath $(LIB))' sh scripts/demo
