#!/bin/sh
# Runs inside `Containerfile`'s build: install one compiler (or kdocs' Sphinx)
# from SOURCE and check it reports VERSION.  Arguments come as the build's environment.
set -eu
case $SOURCE in
debian)
    apt-get update -qq
    # shellcheck disable=SC2086  # PACKAGES is a word list
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        $(printf '%s' "$PACKAGES" | tr , ' ') >/dev/null
    apt-get clean
    rm -rf /var/lib/apt/lists/*
    case $COMPILER in
    # Debian's LLVM keeps unsuffixed names (clang, ld.lld, llvm-ar) here.
    clang) ln -s "/usr/lib/llvm-${VERSION%%.*}" /opt/toolchain ;;
    # gcc-N / CROSS-gcc-N: link the unsuffixed names Kbuild calls.
    gcc)
        mkdir -p /opt/toolchain/bin
        for tool in gcc cpp; do
            ln -s "/usr/bin/${CROSS_COMPILE}$tool-${VERSION%%.*}" "/opt/toolchain/bin/${CROSS_COMPILE}$tool"
        done ;;
    esac ;;
kernel.org)
    tar -C /opt -xf "/tmp/context/$TARBALL"
    case $COMPILER in
    clang) ln -s "/opt/${TARBALL%.tar.*}" /opt/toolchain ;;
    # gcc-14.2.0-nolibc/aarch64-linux/bin/aarch64-linux-gcc
    gcc) ln -s "$(dirname "$(dirname /opt/gcc-"$VERSION"-nolibc/*/bin/"${CROSS_COMPILE}"gcc)")" /opt/toolchain ;;
    esac ;;
*) echo "install-toolchain.sh: unknown SOURCE '$SOURCE'" >&2; exit 1 ;;
esac
PATH=/opt/toolchain/bin:$PATH
case $COMPILER in
gcc) got=$("${CROSS_COMPILE}gcc" -dumpfullversion) ;;
clang) got=$(clang -dumpversion) ;;
sphinx) got=$(sphinx-build --version | sed 's/^sphinx-build //') ;;
esac
if [ "$got" != "$VERSION" ]; then
    echo "install-toolchain.sh: $COMPILER reports $got, the image is for $VERSION" >&2
    exit 1
fi
