#!/usr/bin/env bash
# A local stand-in for kernel.org's tools mirror, for testing the family's
# kernel.org source without the internet: the crosstool GCC "nolibc" tarballs
# and the LLVM tarball (each directory with a sha256sums.asc) with kernel.org's
# exact names and layout,
#   crosstool/files/bin/x86_64/VERSION/x86_64-gcc-VERSION-nolibc-TARGET-linux.tar.xz
#   -> gcc-VERSION-nolibc/TARGET-linux/bin/TARGET-linux-gcc
#   llvm/files/llvm-18.1.8-x86_64.tar.xz
#   -> llvm-18.1.8-x86_64/bin/clang, ld.lld, llvm-ar, llvm-nm, llvm-objcopy, ...
# made from the Debian GCC (VERSION: the image's, 12.2.0 from bookworm,
# 14.2.0 from trixie) and Clang 18 (18.1.8) of the
# family's Debian-source images: the real programs and the libraries they
# need beyond libc (RUNPATH set $ORIGIN-relative with patchelf), moved under
# a new prefix, as a relocatable toolchain is.  The sha256sums.asc is not signed (its checksum
# lines are what the family checks).
#
# Usage: scripts/make-korg-mirror.sh DIR IMAGE:TARGET...   TARGET: a GCC
#        target (x86_64, aarch64) or llvm, e.g.
#        scripts/make-korg-mirror.sh /tmp/mirror korg-gcc:12:x86_64 korg-gcc:12-arm64:aarch64 korg-clang:18:llvm
# Needs podman and patchelf on the host (mounted into the container).
set -euo pipefail
[ "$#" -ge 2 ] || { echo "usage: $0 DIR IMAGE:TARGET..." >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd); shift
patchelf=$(command -v patchelf) || { echo "$0: patchelf missing (apt-get install patchelf)" >&2; exit 1; }
llvm_dir=llvm/files

# The compiler version of a family image: its org.kernel.toolchain.version
# label, which the family's build checked against what the compiler reports
# (images/install-toolchain.sh), e.g. 12.2.0 for korg-gcc:12.
version_of() {
    local v
    v=$(podman image inspect --format '{{index .Config.Labels "org.kernel.toolchain.version"}}' "$1") &&
        [ -n "$v" ] && [ "$v" != '<no value>' ] ||
        { echo "make-korg-mirror.sh: $1 is no family compiler image (no org.kernel.toolchain.version label)" >&2; exit 1; }
    printf '%s\n' "$v"
}

# Run in the image, one tarball per run: T (GCC target or llvm), V (its version).
read -r -d '' job <<'EOF' || :
work=$(mktemp -d)
# bundle ROOT FILE DIR...: the libraries the programs under ROOT/DIR... need
# beyond libc, copied to ROOT/lib and found through RUNPATH ($ORIGIN-relative);
# then ROOT's top directory under $work packed as FILE.
bundle() {
    root=$1 file=$2; shift 2
    progs=$(cd "$root" && find "$@" -type f -perm -u+x | sed "s,^,$root/,")
    for f in $progs; do ldd "$f" 2>/dev/null | awk '/=> \// { print $3 }'; done | sort -u |
        grep -Ev '/(libc|libm|libdl|libpthread|librt|libresolv)\.so' | while read -r lib; do cp -L "$lib" "$root/lib/"; done
    for f in $progs; do
        up=$(dirname "${f#"$root"/}" | sed 's,[^/]*,..,g')
        patchelf --set-rpath "\$ORIGIN/$up/lib" "$f"
    done
    for f in "$root"/lib/*.so*; do patchelf --set-rpath '$ORIGIN' "$f"; done
    top=${root#"$work"/}
    XZ_OPT="-1 -T2" tar -C "$work" --owner=0 --group=0 -cJf "$file" "${top%%/*}"
}
case $T in
llvm)
    maj=${V%%.*} src=/usr/lib/llvm-${V%%.*} top=llvm-$V-$(uname -m)
    got=$("$src/bin/clang" -dumpversion)
    [ "$got" = "$V" ] || { echo "make-korg-mirror.sh: the image's clang is $got, not $V" >&2; exit 1; }
    root=$work/$top
    mkdir -p "$root/bin" "$root/lib/clang"
    # What Kbuild's LLVM=1 and its scripts call, as kernel.org's names (symlinks where kernel.org has them).
    for t in clang lld llvm-ar llvm-nm llvm-objcopy llvm-objdump llvm-readobj llvm-size llvm-strings \
             llvm-symbolizer llvm-cxxfilt llvm-dwarfdump llvm-as llvm-dis llvm-link llvm-profdata; do
        cp -L "$src/bin/$t" "$root/bin/"
    done
    for l in clang++:clang clang-$maj:clang clang-cpp:clang ld.lld:lld llvm-ranlib:llvm-ar llvm-strip:llvm-objcopy \
             llvm-readelf:llvm-readobj llvm-addr2line:llvm-symbolizer; do
        ln -s "${l#*:}" "$root/bin/${l%%:*}"
    done
    cp -rL "$src/lib/clang/$maj" "$root/lib/clang/"
    bundle "$root" "/out/$DIR/$top.tar.xz" bin ;;
*)
    D=$T-linux-gnu K=$T-linux top=gcc-$V-nolibc maj=${V%%.*}
    root=$work/$top/$K
    mkdir -p "$root/bin" "$root/lib" "$root/$D/bin"
    for t in gcc cpp; do cp -L "/usr/bin/$D-$t-$maj" "$root/bin/$K-$t"; done
    for t in as ld ld.bfd objcopy objdump nm ar ranlib strip readelf size strings elfedit addr2line c++filt; do
        cp -L "/usr/bin/$D-$t" "$root/bin/$K-$t"
        ln -s "../../bin/$K-$t" "$root/$D/bin/$t"
    done
    for d in lib/gcc lib/gcc-cross libexec/gcc libexec/gcc-cross; do
        [ -d "/usr/$d/$D/$maj" ] || continue
        mkdir -p "$root/$d/$D"
        cp -rL "/usr/$d/$D/$maj" "$root/$d/$D/"
        rm -rf "$root/$d/$D/$maj/plugin" "$root/$d/$D/$maj/lto1"
    done
    bundle "$root" "/out/$DIR/x86_64-gcc-$V-nolibc-$K.tar.xz" bin libexec ;;
esac
rm -rf "$work"
EOF

dirs=()
for spec in "$@"; do
    image=${spec%:*} target=${spec##*:}
    version=$(version_of "$image")
    dir=crosstool/files/bin/x86_64/$version
    [ "$target" != llvm ] || dir=$llvm_dir
    mkdir -p "$out/$dir"
    podman run --rm --network=none -v "$out:/out" -v "$patchelf:/usr/local/bin/patchelf:ro" \
        -e T="$target" -e V="$version" -e DIR="$dir" "$image" sh -euc "$job"
    dirs+=("$dir")
done
# kernel.org's sha256sums.asc: an OpenPGP clear-signed list of "SHA256  FILE".
for dir in $(printf '%s\n' "${dirs[@]}" | sort -u); do
    (
        cd "$out/$dir"
        printf -- '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n'
        sha256sum -- *.tar.xz
    ) >"$out/$dir/sha256sums.asc"
done
