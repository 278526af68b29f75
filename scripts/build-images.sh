#!/usr/bin/env bash
# The test set-up's toolchain images: a thin caller of the image family
# (images/Makefile, images/family.conf) with the Debian source, on bases made
# by debootstrap (no registry here), then copied into every image store the
# tests use.  Run as root, after scripts/setup-engines.sh.
#
# Usage: scripts/build-images.sh [IMAGE...]   family names or tags, without PREFIX
#        scripts/build-images.sh all            the images the tests use (below)
# Env:   KBC_STORES="podman docker rootless"    stores to fill (default all)
#        KBC_REBUILD=1                          rebuild even if up to date (make -B)
#        KBC_PREFIX=korg-                       the family's PREFIX
#
# The tests' images: korg-gcc:12 (bookworm: GCC 12, make 4.3), korg-gcc:12-arm64,
# korg-gcc:14 (trixie: GCC 14.2, make 4.4.1), korg-clang:18
# (Clang 18.1.8 with clangd, for 7.2's LLVM >= 17), korg-qemu:x86/arm64 (boot),
# korg-kselftest (bookworm GCC 12 + selftest/BPF packages, for kselftest),
# korg-kdocs (trixie's Sphinx 8.1, for htmldocs),
# korg-gcc:kunit = korg-kunit (bookworm GCC 12 + Python, for kunit.py on UML).
# Not korg-clang:14 (bookworm's Clang 14): no test runs it, and it took 22 s
# of every set-up (`make -C images IMAGES=clang:14` builds it).
# With `all`, also the kernel.org source's images the e2e tests build the
# bootable linux 6.1 kernels through (step 3; boot.test.ts boots them):
# kernelorg-clang:18 (rootful Podman and Docker) and kernelorg-gcc:12-arm64
# (rootful Podman), from a stand-in kernel.org mirror in
# $KBC_CACHE/korg-mirror that images.test.ts uses too.
#
# How:
#  1. `make -C images debian-base SUITE=S DEBIAN_MIRROR=<the host's mirror>`:
#     debootstrap --variant=minbase, imported as korg-debian-base:S in rootful
#     Podman, once per suite.
#  2. `make -C images SOURCE=debian IMAGES=...` in rootful Podman (FROM
#     those bases, whose apt sources name the host's mirror): up to date
#     images are not rebuilt (the family's stamps).
#  3. With `all`: scripts/make-korg-mirror.sh into $KBC_CACHE/korg-mirror,
#     then `make -C images SOURCE=kernel.org PREFIX=kernelorg- KORG_MIRROR=...`.
#  4. Copied to the other stores with `podman save | docker load` /
#     `podman save | as-kbuilder.sh podman load`, both stores at once, where
#     the store's image ID differs: the image ID stays the same everywhere.
#     With `all`, Docker and the rootless user get only the images their
#     tests use (DOCKER_TEST_IMAGES, ROOTLESS_TEST_IMAGES).  (Measured for the old korg-gcc:
#     save+load into docker 8 s, `docker build` of it 29 s, so copying wins.)
#     Docker names a loaded image localhost/NAME; it is re-tagged NAME, which
#     is what `docker run NAME` looks up.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root
if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null; then
    die "podman/debootstrap missing: run scripts/setup-engines.sh first"
fi

images_dir=$(cd "$kbc_scripts/../images" && pwd)
kbc_lock build-images # concurrent runs would race on the same tags
KBC_STORES=${KBC_STORES:-podman docker rootless}
prefix=${KBC_PREFIX:-korg-}
TEST_IMAGES="gcc:12 gcc:12-arm64 gcc:14 clang:18 qemu:x86 qemu:arm64 kselftest kdocs kunit"
# With `all`, the other stores get only what the tests run there (copying is
# the disk's work: all ten images into both stores took 154 s); rootful Podman
# has every one.
DOCKER_TEST_IMAGES="gcc:12 gcc:14 gcc:12-arm64 kselftest"
ROOTLESS_TEST_IMAGES="gcc:12 kunit kdocs qemu:x86"

[ "$#" -gt 0 ] || set -- all
images=()
korg_source=
for a in "$@"; do
    if [ "$a" = all ]; then
        korg_source=1
        read -r -a more <<<"$TEST_IMAGES"
        images+=("${more[@]}")
    else
        images+=("$a")
    fi
done

# family ARGS...: images/Makefile in rootful Podman, the test set-up's way
mirror=$(debian_mirror_uri)
family() {
    make -C "$images_dir" --no-print-directory CONTAINER_RUNTIME=podman PREFIX="$prefix" \
        SOURCE=debian "$@" 9>&-
}

# 1. Bases: the suites of the images asked for (the family's list says which).
#    One after the other: side by side, with the kernel trees unpacking beside
#    them, two took 125 s where they took 94 s alone (the disk is the limit).
for suite in $(awk -v want=" ${images[*]} " -v host="$(uname -m)" '
        /^[ \t]*(#|$)/ { next }
        $3 != host { next }
        { n = split($9, t, ","); hit = index(want, " " $2 " ")
          for (i = 1; i <= n; i++) if (index(want, " " t[i] " ")) hit = 1
          if (hit) print $6 }' "$images_dir/family.conf" | sort -u); do
    podman image exists "${prefix}debian-base:$suite" ||
        family debian-base SUITE="$suite" DEBIAN_MIRROR="$mirror"
done

# 2. The images, with every tag the family gives them.  (make -j2 gained
#    nothing here: 208 s against 195 s one at a time.)
family ${KBC_REBUILD:+-B} IMAGES="${images[*]}"
names=$(family -s list-tags IMAGES="${images[*]}")
docker_names=$names rootless_names=$names
if [ -n "$korg_source" ]; then
    docker_names=$(family -s list-tags IMAGES="$DOCKER_TEST_IMAGES")
    rootless_names=$(family -s list-tags IMAGES="$ROOTLESS_TEST_IMAGES")
fi
# 3. The kernel.org source, without the internet: the mirror is made from
#    the test images' Debian GCC 12 (x86_64, aarch64: kernel.org publishes
#    12.2.0 too) and Clang 18, and made again only when the script or one of
#    those images changed; then the family builds from it under its own
#    PREFIX, so these names never collide with the Debian ones.  GCC 12, not
#    14: GCC 14 takes 1.24 times GCC 12's time for the same four x86_64
#    objects and 1.39 times for three arm64 ones, and the arm64 boot kernel
#    and the on-demand kernel go through these compilers (CI has an hour).
korg_prefix=kernelorg-
korg_names=
if [ -n "$korg_source" ]; then
    korg_mirror=$KBC_CACHE/korg-mirror
    sources="${prefix}gcc:12:x86_64 ${prefix}gcc:12-arm64:aarch64 ${prefix}clang:18:llvm"
    made_by=$( {
        sha256sum "$kbc_scripts/make-korg-mirror.sh" | cut -d' ' -f1
        for s in $sources; do podman image inspect --format '{{.Id}}' "${s%:*}"; done
    } | tr '\n' ' ')
    if [ "$(cat "$korg_mirror/.made-by" 2>/dev/null)" != "$made_by" ]; then
        step "making the stand-in kernel.org mirror in $korg_mirror"
        rm -rf "$korg_mirror"
        # shellcheck disable=SC2086  # a word list
        quietly make-korg-mirror.sh bash "$kbc_scripts/make-korg-mirror.sh" "$korg_mirror" $sources
        printf '%s' "$made_by" >"$korg_mirror/.made-by"
    fi
    # clang's line is trixie's, GCC 12's bookworm's: the bases of both suites.
    for suite in trixie bookworm; do
        podman image exists "${korg_prefix}debian-base:$suite" ||
            podman tag "${prefix}debian-base:$suite" "${korg_prefix}debian-base:$suite"
    done
    korg_family() {
        make -C "$images_dir" --no-print-directory CONTAINER_RUNTIME=podman PREFIX="$korg_prefix" \
            SOURCE=kernel.org KORG_MIRROR="$korg_mirror" "$@" 9>&-
    }
    korg_family ${KBC_REBUILD:+-B} IMAGES="clang gcc:12-arm64"
    # Docker builds the x86_64 boot kernel (clang); the arm64 one builds on rootful Podman.
    korg_names=$(korg_family -s list-tags IMAGES=clang)
fi

# ------------------------------------------------------------------- stores
# Stores whose engine is available; an unavailable one is reported and
# skipped.  Images are always built in rootful Podman, even when "podman" is
# not listed.
stores=()
for s in $KBC_STORES; do
    case $s in
    podman) stores+=(podman) ;;
    docker)
        if /usr/bin/docker info >/dev/null 2>&1; then
            stores+=(docker)
        else
            step "skipping store docker: daemon not running (scripts/setup-engines.sh starts it)"
        fi ;;
    rootless)
        if id -u "$KBC_USER" >/dev/null 2>&1; then
            stores+=(rootless)
        else
            step "skipping store rootless: no user $KBC_USER (scripts/setup-engines.sh creates it)"
        fi ;;
    *) die "unknown store '$s' in KBC_STORES (podman docker rootless)" ;;
    esac
done

# in_store STORE ARGS...: run the store's engine (Debian's docker client,
# whatever else is first on PATH)
in_store() {
    case $1 in
    podman) podman "${@:2}" 9>&- ;;
    docker) /usr/bin/docker "${@:2}" 9>&- ;;
    rootless) as_kbuilder podman "${@:2}" ;;
    esac
}

# image_id STORE NAME: NAME's image ID in STORE, empty if none
# (Docker prints sha256:HEX, Podman HEX.)
image_id() { { in_store "$1" image inspect --format '{{.Id}}' "$2" 2>/dev/null || true; } | sed 's/^sha256://'; }

# 4. Copy to the other stores what differs there, every store at once: one
#    `podman save` streamed into each store's load (no archive on disk).
# copy_to STORE NAME...: NAMEs from rootful Podman into STORE
copy_to() {
    local s=$1; shift
    step "loading $* into $s"
    case $s in
    docker)
        quietly "podman save | docker load" bash -c 'podman save -q -m "$@" | /usr/bin/docker load -q' save "$@"
        # podman's archive names them localhost/NAME; `docker run NAME`
        # looks for docker.io/library/NAME, i.e. NAME.
        for n in "$@"; do
            quietly "docker tag" /usr/bin/docker tag "localhost/$n" "$n"
            quietly "docker untag" /usr/bin/docker rmi "localhost/$n"
        done ;;
    rootless)
        # Through a pipe: root's private temp dir is no path for the user.
        quietly "podman save | rootless load" bash -c 'podman save -q -m "$@" | "$0" podman load -q' "$kbc_scripts/as-kbuilder.sh" "$@" ;;
    esac
}
pids=()
for s in "${stores[@]}"; do
    [ "$s" != podman ] || continue
    stale=()
    # kernelorg-clang goes to Docker too (the x86_64 boot kernel builds there), not to the rootless user.
    store_names=$rootless_names
    [ "$s" != docker ] || store_names="$docker_names $korg_names"
    for n in $store_names; do
        [ "$(image_id "$s" "$n")" = "$(image_id podman "$n")" ] || stale+=("$n")
    done
    [ "${#stale[@]}" -gt 0 ] || continue
    copy_to "$s" "${stale[@]}" 9>&- &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || die "copying images to a store failed (its lines are above)"; done
# Images that lost their last name to a newer build, in every store.
for s in "${stores[@]}"; do
    ids=$(in_store "$s" images -q --filter dangling=true 2>/dev/null || true)
    for id in $ids; do
        # only images we labelled (the family's), never anyone else's
        title=$(in_store "$s" image inspect --format '{{index .Config.Labels "org.opencontainers.image.title"}}' "$id" 2>/dev/null || true)
        case $title in "$prefix"* | "$korg_prefix"*) in_store "$s" rmi "$id" >/dev/null 2>&1 || true ;; esac
    done
done

case " ${stores[*]} " in *" rootless "*) stop_rootless_pause ;; esac
