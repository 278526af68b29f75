#!/usr/bin/env bash
# Unpack pristine Linux source trees from Debian's linux-source packages and
# print their paths, one per line.  Run as root.  Idempotent: a tree that is
# already unpacked is only printed.
#
# Usage: scripts/fetch-kernels.sh [VERSION...]     default: 6.1
#   6.1   bookworm  linux-source-6.1   -> /var/cache/kbuild-container/linux-6.1
#   6.12  trixie    linux-source-6.12  -> /var/cache/kbuild-container/linux-6.12
#   7.2   sid       linux-source-7.2   -> /var/cache/kbuild-container/linux-7.2
# Env:  KBC_REFETCH=1   download and unpack again (e.g. after a Debian update)
#
# Each path is the directory holding the top-level Makefile, owned by root,
# readable (not writable) by everyone, so kbuilder can build from it with O=
# or through an overlay.  The package version is recorded next to it in
# linux-VERSION.version.
#
# The host's apt configuration is not touched: each suite gets a private
# deb822 file (the URIs of /etc/apt/sources.list.d/debian.sources, Suites
# rewritten to the target suite; host names are never written into the
# project) and private lists and caches under
# /var/cache/kbuild-container/apt/SUITE/, used as
#   apt-get -o Dir::Etc::SourceList=FILE.sources -o Dir::Etc::SourceParts=/dev/null
#           -o Dir::State::Lists=DIR ... update / download linux-source-X
# then `dpkg-deb -x` and untar.  The file must be named *.sources for apt to
# read it as deb822.
#
# Timings measured on the 2-core Debian 12 VM, per tree:
#   apt-get update (private lists, once per suite)   4 s
#   apt-get download (140-160 MB .deb)               2-3 s
#   dpkg-deb -x + untar (1.5/1.7/1.8 GB trees)       18-24 s; several minutes
#                                                    under heavy parallel I/O
#   whole tree: 6.1 25-30 s, 6.12 + 7.2 together 53 s
#   tree present                                     0.02 s
# KBC_REFETCH=1 deletes the old tree: not while builds or overlays use it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root
[ "$#" -gt 0 ] || set -- 6.1
mkdir -p "$KBC_CACHE"
chmod 755 "$KBC_CACHE" # kbuilder must reach the trees
kbc_lock fetch-kernels # concurrent runs would share the private apt lists

suite_of() {
    case $1 in
    6.1) echo bookworm ;;
    6.12) echo trixie ;;
    7.2) echo sid ;;
    *) die "unknown kernel version '$1' (known: 6.1 6.12 7.2)" ;;
    esac
}
for v in "$@"; do suite_of "$v" >/dev/null; done

# apt_private SUITE ARGS...: apt-get with SUITE's private sources, lists and
# caches; the host's dpkg status is only read.
apt_private() {
    local dir=$KBC_CACHE/apt/$1; shift
    apt-get -q \
        -o Dir::Etc::SourceList="$dir/debian.sources" \
        -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists="$dir/lists" \
        -o Dir::Cache="$dir/cache" \
        -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
        "$@"
}

workdir=
cleanup() { [ -z "$workdir" ] || rm -rf "$workdir"; }
trap cleanup EXIT

updated=" "
for v in "$@"; do
    dest=$KBC_CACHE/linux-$v
    if [ -f "$dest/Makefile" ] && [ -z "${KBC_REFETCH:-}" ]; then
        printf '%s\n' "$dest"
        continue
    fi
    suite=$(suite_of "$v")
    pkg=linux-source-$v
    dir=$KBC_CACHE/apt/$suite

    if [ "${updated#* "$suite" }" = "$updated" ]; then
        step "apt-get update ($suite, private lists)"
        mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
        debian_sources_for "$suite" >"$dir/debian.sources.tmp"
        mv -f "$dir/debian.sources.tmp" "$dir/debian.sources"
        quietly "apt-get update ($suite)" apt_private "$suite" update
        updated="$updated$suite "
    fi

    # Work next to the destination: same file system for the final rename.
    workdir=$(mktemp -d "$KBC_CACHE/fetch-$v.XXXXXX")
    # apt downloads as user _apt: give it the directory (else it warns and
    # downloads unsandboxed as root).
    if id -u _apt >/dev/null 2>&1; then chown _apt "$workdir"; fi
    step "downloading $pkg ($suite)"
    (cd "$workdir" && quietly "apt-get download $pkg" apt_private "$suite" download "$pkg")
    deb=$(find "$workdir" -maxdepth 1 -name "${pkg}_*.deb" | head -n1)
    [ -n "$deb" ] || die "apt-get download $pkg produced no .deb"
    version=$(dpkg-deb -f "$deb" Version)

    step "unpacking $pkg $version to $dest"
    dpkg-deb -x "$deb" "$workdir/deb"
    rm -f "$deb"
    tarball=$(find "$workdir/deb/usr/src" -maxdepth 1 -name "$pkg.tar.*" | head -n1)
    [ -n "$tarball" ] || die "$pkg has no /usr/src/$pkg.tar.*"
    mkdir "$workdir/tree"
    # --no-same-owner/--no-same-permissions + umask 022: root-owned files,
    # readable by all and writable only by root, whatever the tarball says.
    (umask 022 && tar -C "$workdir/tree" -xf "$tarball" --strip-components=1 \
        --no-same-owner --no-same-permissions)
    [ -f "$workdir/tree/Makefile" ] || die "$pkg: no top-level Makefile in $tarball"
    chmod 755 "$workdir/tree"

    if [ -e "$dest" ]; then
        mv "$dest" "$workdir/old" # removed with the work directory
    fi
    mv "$workdir/tree" "$dest"
    printf '%s\n' "$version" >"$dest.version"
    rm -rf "$workdir"
    workdir=
    printf '%s\n' "$dest"
done
