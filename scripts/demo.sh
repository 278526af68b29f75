#!/usr/bin/env bash
# README command one: on a fresh machine, install what is missing, build the
# default toolchain image (korg-gcc) from Debian packages, fetch Debian's
# linux-source-6.1 tree, and build a tinyconfig bzImage through
# `make CONTAINER=korg-gcc`, with O= outside the (untouched) tree.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
step() { printf '==> %s\n' "$*" >&2; }

step "host set-up"
bash scripts/setup-engines.sh
KBC_STORES=podman bash scripts/build-images.sh korg-gcc
tree=$(bash scripts/fetch-kernels.sh 6.1 | tail -n 1)

step "kbuild-container"
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
# The fragment finds the runner on PATH, as it would after `npm install -g`.
bindir=$(mktemp -d)
ln -s "$repo/dist/kbuild-container.cjs" "$bindir/kbuild-container"
export PATH="$bindir:$PATH"

out=${KBC_DEMO_OUT:-/tmp/kbuild-container-demo/x86}
step "make -C $tree -f make/Makefile.container CONTAINER=korg-gcc -j$(nproc) O=$out tinyconfig bzImage"
time make -C "$tree" -f "$repo/make/Makefile.container" CONTAINER=korg-gcc -j"$(nproc)" O="$out" tinyconfig bzImage
ls -l "$out/arch/x86/boot/bzImage"
