#!/usr/bin/env bash
# Install GNU make 4.4.1 next to the host's make 4.3 and print its path:
#   /opt/kbuild-container/make-4.4/usr/bin/make
# /usr/bin/make is never touched.  Run as root.  Idempotent: when that make
# already answers "GNU Make 4.4", only its path is printed.
#
# Why: make 4.4 hands its sub-makes a named FIFO (--jobserver-auth=fifo:PATH)
# instead of two inherited descriptors; the tests of issue 4 run the outer
# make with it to prove the runner shares that kind of pool too.
#
# How: Debian trixie's `make` .deb through a private trixie deb822 file and
# private lists under /var/cache/kbuild-container/apt/trixie (the same ones
# scripts/fetch-kernels.sh uses for linux-source-6.12, hence its lock), then
# `dpkg-deb -x` into /opt/kbuild-container/make-4.4.  trixie's make needs
# glibc 2.38 and bookworm has 2.36 ("version `GLIBC_2.38' not found",
# measured), so trixie's libc6 is unpacked beside it and the binary is
# pointed at that loader and library directory with patchelf (installed from
# the host's own suite when missing).  Recipes still run the host's /bin/sh
# and tools with the host's libc: only make itself uses the private one.
#
# Timings measured on the 2-core Debian 12 VM:
#   first run (patchelf install, download 3.3 MB, unpack)  14 s
#   apt-get update (private trixie lists, when missing)    +4 s
#   already installed                                      0.04 s
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root
dest=${KBC_MAKE44:-/opt/kbuild-container/make-4.4}
bin=$dest/usr/bin/make

is_make44() { "$1" --version 2>/dev/null | head -n1 | grep -q '^GNU Make 4\.4'; }

if is_make44 "$bin"; then
    printf '%s\n' "$bin"
    exit 0
fi

mkdir -p "$KBC_CACHE"
kbc_lock fetch-kernels # the private trixie lists are fetch-kernels.sh's too

suite=trixie
apt_dir=$KBC_CACHE/apt/$suite

# apt_trixie ARGS...: apt-get with trixie's private sources, lists and
# caches (as fetch-kernels.sh's apt_private); the host's dpkg status is only read.
apt_trixie() {
    apt-get -q \
        -o Dir::Etc::SourceList="$apt_dir/debian.sources" \
        -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists="$apt_dir/lists" \
        -o Dir::Cache="$apt_dir/cache" \
        -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
        "$@"
}

update_lists() {
    step "apt-get update ($suite, private lists)"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    debian_sources_for "$suite" >"$apt_dir/debian.sources.tmp"
    mv -f "$apt_dir/debian.sources.tmp" "$apt_dir/debian.sources"
    quietly "apt-get update ($suite)" apt_trixie update
}

if ! command -v patchelf >/dev/null; then
    step "installing patchelf"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends patchelf >/dev/null 2>&1 || {
        apt-get update -qq >/dev/null
        quietly "apt-get install patchelf" apt-get install -y -qq --no-install-recommends patchelf
    }
fi

workdir=
cleanup() { [ -z "$workdir" ] || rm -rf "$workdir"; }
trap cleanup EXIT
workdir=$(mktemp -d "$KBC_CACHE/make44.XXXXXX")
# apt downloads as user _apt: give it the directory (else it warns and
# downloads unsandboxed as root).
if id -u _apt >/dev/null 2>&1; then chown _apt "$workdir"; fi

if [ ! -f "$apt_dir/debian.sources" ] || [ ! -d "$apt_dir/lists" ]; then update_lists; fi
step "downloading make and libc6 ($suite)"
# Lists fetched long ago may name versions the mirror no longer has.
if ! (cd "$workdir" && apt_trixie download make libc6 >/dev/null 2>&1); then
    update_lists
    (cd "$workdir" && quietly "apt-get download make libc6" apt_trixie download make libc6)
fi

# Unpack beside the destination, point make at the private loader, then swap.
new=$dest.new
rm -rf "$new"
mkdir -p "$new"
for pkg in make libc6; do
    deb=$(find "$workdir" -maxdepth 1 -name "${pkg}_*.deb" | head -n1)
    [ -n "$deb" ] || die "apt-get download $pkg produced no .deb"
    dpkg-deb -x "$deb" "$new"
done
step "unpacked make $(dpkg-deb -f "$(find "$workdir" -maxdepth 1 -name 'make_*.deb' | head -n1)" Version) to $dest"
libdir=usr/lib/x86_64-linux-gnu
[ -e "$new/$libdir/ld-linux-x86-64.so.2" ] || die "libc6 ($suite) has no $libdir/ld-linux-x86-64.so.2"
# The paths are final ones: the binary only runs once $new is renamed to $dest.
patchelf --set-interpreter "$dest/$libdir/ld-linux-x86-64.so.2" \
    --set-rpath "$dest/$libdir" "$new/usr/bin/make"
chmod 755 "$new"

if [ -e "$dest" ]; then mv "$dest" "$workdir/old"; fi # removed with the work directory
mv "$new" "$dest"
is_make44 "$bin" || die "$bin does not run: $("$bin" --version 2>&1 | head -n1)"
printf '%s\n' "$bin"
