# make deb: the Debian packages, into build/:
#   build/libkashim_V_ARCH.deb       the library, /usr/lib/<triplet>/kashim/
#   build/kashim_V_ARCH.deb          the wrapper and kashim-adopt
#   build/kashim-kernel_V_ARCH.deb   kashim-kernel, where the tree builds it
# V is the VERSION file's.  dpkg-buildpackage (debian/: dh on this
# Makefile) runs in a clean copy of the tree, build/deb/kashim-V: the files
# git knows (tracked, or new and not ignored), as they are in the work tree;
# without git, everything but build/ and .git.  The source package,
# .changes, .buildinfo and -dbgsym packages stay in build/deb/.
#
# Like `make check`, it first installs what it lacks (scripts/deps --deb:
# the packaging tools and debian/control's Build-Depends), then builds in a
# sub-make.  The kashim-kernel package is left out (build profile
# pkg.kashim.nokernel), with a line that says so, when this tree's Makefile
# has no rule for build/kashim-kernel.

DEB_DIR  := build/deb
DEB_TREE  = $(DEB_DIR)/kashim-$(VERSION)

.PHONY: deb deb-build

deb:
	@sh scripts/deps --deb
	@$(MAKE) --no-print-directory deb-build

deb-build:
	@c=$$(dpkg-parsechangelog -l debian/changelog -S Version) && \
	  [ "$$c" = "$(VERSION)" ] || { \
	  echo "deb: debian/changelog is at $$c but VERSION says $(VERSION): add a changelog entry for $(VERSION)" >&2; \
	  exit 1; }
	rm -rf $(DEB_DIR) build/*.deb
	mkdir -p $(DEB_TREE)
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git ls-files -z --cached --others --exclude-standard | \
	    xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
	    tar --null -T - -cf -; \
	else \
	  tar -cf - --exclude=./build --exclude=./.git .; \
	fi | tar -xf - -C $(DEB_TREE)
	@if $(MAKE) -s -q build/kashim-kernel >/dev/null 2>&1 || [ $$? -ne 2 ]; then \
	  profiles=''; \
	else \
	  profiles=pkg.kashim.nokernel; \
	  echo "deb: this tree's Makefile has no rule for build/kashim-kernel: building without the kashim-kernel package"; \
	fi; \
	cd $(DEB_TREE) && dpkg-buildpackage -us -uc -J2 $${profiles:+-P$$profiles}
	@set -e; for f in $(DEB_DIR)/*.deb; do \
	  case $$f in *-dbgsym_*) continue ;; esac; \
	  cp $$f build/; echo "deb: build/$${f##*/}"; \
	done
