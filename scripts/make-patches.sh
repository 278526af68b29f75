#!/usr/bin/env bash
# Regenerate patches/, the RFC series for the kernel (git format-patch output,
# cover letter included), from what this repository holds:
#   make/Makefile.container            -> scripts/Makefile.container (byte for byte)
#   scripts/patches/container-make.rst -> Documentation/dev-tools/container-make.rst
#   scripts/patches/*.diff             the edits to Makefile, MAINTAINERS, index.rst
#   scripts/patches/*.msg              commit messages; cover-letter.txt its text
# on top of the files the series touches, taken from Debian's linux-source-7.2.
# Identity and dates are fixed, so the same inputs give the same bytes.
# test/unit/patches.test.ts fails when patches/ and its inputs drift apart.
#
# Usage: scripts/make-patches.sh [KERNEL_TREE]   (default: $KBC_CACHE/linux-7.2)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tree=${1:-${KBC_CACHE:-/var/cache/kbuild-container}/linux-7.2}
in=$repo/scripts/patches
out=$repo/patches

die() { printf 'make-patches: %s\n' "$*" >&2; exit 1; }
[ -f "$tree/Makefile" ] && [ -f "$tree/scripts/container" ] || die "$tree: not a linux 7.x tree (run scripts/fetch-kernels.sh 7.2)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME='kbuild-container developers' GIT_AUTHOR_EMAIL='kbuild-container@example.invalid'
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
export GIT_AUTHOR_DATE='2026-11-26T12:00:00+00:00' GIT_COMMITTER_DATE='2026-11-26T12:00:00+00:00'

# The base: the pristine versions of exactly the files the series touches.
# (Debian's .gitignore ignores the whole top level, hence add -f.)
touched=(Makefile MAINTAINERS Documentation/dev-tools/index.rst)
for f in "${touched[@]}"; do
    mkdir -p "$work/src/$(dirname "$f")"
    cp "$tree/$f" "$work/src/$f"
done
cd "$work/src"
git init -q -b master .
git add -f "${touched[@]}"
git commit -q -m "base: the files the series touches, from $tree"
git tag base

commit() { git add -f -A . && git commit -q -F "$in/$1.msg"; }

mkdir -p scripts Documentation/dev-tools
cp "$repo/make/Makefile.container" scripts/Makefile.container
git apply "$in/0001-MAINTAINERS.diff"
commit 0001

git apply "$in/0002-Makefile.diff"
commit 0002

cp "$in/container-make.rst" Documentation/dev-tools/container-make.rst
git apply "$in/0003-MAINTAINERS-index.diff"
commit 0003

# The cover letter's first paragraph is its subject, the rest its body.
git config branch.master.description "$(cat "$in/cover-letter.txt")"
rm -f "$out"/*.patch
mkdir -p "$out"
# The cover letter names reviewers in UTF-8: say so in every mail's headers.
git format-patch -q --cover-letter --cover-from-description=subject --subject-prefix='RFC PATCH' \
    --add-header='MIME-Version: 1.0' --add-header='Content-Type: text/plain; charset=UTF-8' \
    --add-header='Content-Transfer-Encoding: 8bit' --no-signature -o "$out" base..master
ls "$out"/*.patch
