#!/usr/bin/env bash
# A local stand-in for kernel.org's tools mirror, for testing the family's
# kernel.org source without the internet: the crosstool GCC "nolibc" tarballs
# (and sha256sums.asc beside them) with kernel.org's exact names and layout,
#   crosstool/files/bin/x86_64/14.2.0/x86_64-gcc-14.2.0-nolibc-TARGET-linux.tar.xz
#   -> gcc-14.2.0-nolibc/TARGET-linux/bin/TARGET-linux-gcc
# made from Debian's GCC 14 of the family's Debian-source images: the real
# compiler, binutils and the libraries they need (RUNPATH set to
# $ORIGIN/.. with patchelf), moved under a new prefix, as a relocatable
# toolchain is.  The sha256sums.asc is not signed (its checksum lines are
# what the family checks).
#
# Usage: scripts/make-korg-mirror.sh DIR IMAGE:TARGET...   e.g.
#        scripts/make-korg-mirror.sh /tmp/mirror korg-gcc:14:x86_64 korg-gcc:14-arm64:aarch64
# Needs podman and patchelf on the host (mounted into the container).
set -euo pipefail
[ "$#" -ge 2 ] || { echo "usage: $0 DIR IMAGE:TARGET..." >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd); shift
patchelf=$(command -v patchelf) || { echo "$0: patchelf missing (apt-get install patchelf)" >&2; exit 1; }
version=14.2.0 major=14
rel=crosstool/files/bin/x86_64/$version
mkdir -p "$out/$rel"
for spec in "$@"; do
    image=${spec%:*} target=${spec##*:}
    podman run --rm --network=none -v "$out:/out" -v "$patchelf:/usr/local/bin/patchelf:ro" \
        -e T="$target" -e V="$version" -e MAJ="$major" -e REL="$rel" "$image" sh -euc '
        D=$T-linux-gnu K=$T-linux top=gcc-$V-nolibc
        work=$(mktemp -d) root=$work/$top/$K
        mkdir -p "$root/bin" "$root/lib" "$root/$D/bin"
        for t in gcc cpp; do cp -L "/usr/bin/$D-$t-$MAJ" "$root/bin/$K-$t"; done
        for t in as ld ld.bfd objcopy objdump nm ar ranlib strip readelf size strings elfedit addr2line c++filt; do
            cp -L "/usr/bin/$D-$t" "$root/bin/$K-$t"
            ln -s "../../bin/$K-$t" "$root/$D/bin/$t"
        done
        for d in lib/gcc lib/gcc-cross libexec/gcc libexec/gcc-cross; do
            [ -d "/usr/$d/$D/$MAJ" ] || continue
            mkdir -p "$root/$d/$D"
            cp -rL "/usr/$d/$D/$MAJ" "$root/$d/$D/"
            rm -rf "$root/$d/$D/$MAJ/plugin" "$root/$d/$D/$MAJ/lto1"
        done
        # The libraries the programs need beyond libc, found through RUNPATH.
        progs=$(find "$root/bin" "$root/libexec" -type f -perm -u+x)
        for f in $progs; do ldd "$f" 2>/dev/null | awk "/=> \\// { print \$3 }"; done | sort -u |
            grep -Ev "/(libc|libm|libdl|libpthread|librt)\.so" | while read -r lib; do cp -L "$lib" "$root/lib/"; done
        for f in $progs; do
            up=$(dirname "${f#$root/}" | sed "s,[^/]*,..,g")
            patchelf --set-rpath "\$ORIGIN/$up/lib" "$f"
        done
        for f in "$root"/lib/*.so*; do patchelf --set-rpath "\$ORIGIN" "$f"; done
        XZ_OPT="-1 -T2" tar -C "$work" --owner=0 --group=0 -cJf "/out/$REL/x86_64-gcc-$V-nolibc-$K.tar.xz" "$top"
        rm -rf "$work"'
done
# kernel.org's sha256sums.asc: an OpenPGP clear-signed list of "SHA256  FILE".
(
    cd "$out/$rel"
    printf -- '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n'
    sha256sum -- *.tar.xz
) >"$out/$rel/sha256sums.asc"
