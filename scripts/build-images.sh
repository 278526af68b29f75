#!/usr/bin/env bash
# Build the toolchain images from Debian packages, without any registry,
# and install them into every image store there is.  Run as root, after
# scripts/setup-engines.sh.
#
# Usage: scripts/build-images.sh [IMAGE...]      default: korg-gcc
#        scripts/build-images.sh all               every images/*/Containerfile
# Env:   KBC_STORES="podman docker rootless"       stores to fill (default all)
#        KBC_REBUILD=1                             rebuild even if up to date
#
# Images (the names users type): korg-gcc, korg-clang, korg-gcc-arm64,
# korg-gcc-trixie; recipes in images/<name>/Containerfile.  Stores: rootful
# Podman (where every image is built), Docker, and rootless Podman of user
# kbuilder: each engine and each rootless user has its own store.
#
# How:
#  1. debootstrap --variant=minbase SUITE, cached as a tarball in
#     /var/cache/kbuild-container/rootfs-SUITE.tar, imported into rootful
#     Podman as kbc-base-SUITE (SUITE from the Containerfile's FROM line).
#  2. podman build --network=host (apt inside the build reaches the mirror)
#     with a context holding only debian.sources: the host's apt sources with
#     the image's suite names.  Labelled with a hash of Containerfile and
#     sources: an image whose label matches is up to date and skipped.
#  3. Copied to the other stores with `podman save` + `docker load` /
#     `as-kbuilder.sh podman load`: the image ID stays the same everywhere.
#     (Measured for korg-gcc: save+load into docker 8 s, `docker build` of
#     the same Containerfile 29 s, so copying wins.)  Docker names a loaded
#     image localhost/korg-gcc; it is re-tagged korg-gcc, which is what
#     `docker run korg-gcc` looks up.
#
# Timings measured on the 2-core Debian 12 VM (idle; under a load of ~10
# from parallel kernel builds they double):
#   debootstrap minbase + tar, bookworm   36 s (78-96 s loaded); trixie 28 s
#   import kbc-base-SUITE                 2.5-4 s
#   podman build  korg-gcc 34 s, korg-clang 50 s, korg-gcc-arm64 47 s,
#                 korg-gcc-trixie 35 s    (images 513/887/669/539 MB)
#   podman save                           2-3.5 s
#   docker load + re-tag                  5-7 s
#   rootless podman load                  8-11 s
#   `all` from nothing, three stores      ~5 min
#   up to date (label check per store): korg-gcc 0.3 s, all 0.7-1.3 s
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
LABEL=org.kbuild-container.recipe

# ---------------------------------------------------------------- arguments
all_images() {
    local f
    for f in "$images_dir"/*/Containerfile; do
        [ -e "$f" ] || continue
        f=${f%/Containerfile}
        printf '%s\n' "${f##*/}"
    done
}
[ "$#" -gt 0 ] || set -- korg-gcc
images=()
for a in "$@"; do
    if [ "$a" = all ]; then
        mapfile -t -O "${#images[@]}" images < <(all_images)
    elif [ -f "$images_dir/$a/Containerfile" ]; then
        images+=("$a")
    else
        die "unknown image '$a' (known: $(all_images | tr '\n' ' ')all)"
    fi
done

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

# recipe_label STORE IMAGE: the image's recipe label in STORE, empty if none
recipe_label() {
    in_store "$1" image inspect --format "{{index .Config.Labels \"$LABEL\"}}" "$2" \
        2>/dev/null || true
}

# ------------------------------------------------------------- base images
tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT

# ensure_base SUITE: kbc-base-SUITE in rootful Podman
ensure_base() {
    local suite=$1 name=kbc-base-$1 tarball rootfs mirror
    podman image exists "$name" && return 0
    tarball=$KBC_CACHE/rootfs-$suite.tar
    if [ ! -s "$tarball" ]; then
        mirror=$(debian_mirror_uri)
        step "debootstrap --variant=minbase $suite (about 40 s)"
        mkdir -p "$KBC_CACHE"
        rootfs=$KBC_CACHE/rootfs-$suite.tmp
        rm -rf "$rootfs"
        quietly "debootstrap $suite" \
            debootstrap --variant=minbase "$suite" "$rootfs" "$mirror"
        # Drop what is host- or mirror-specific and the downloaded .debs; the
        # Containerfiles bring their own debian.sources.
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
            "$rootfs"/etc/apt/sources.list "$rootfs"/etc/hostname "$rootfs"/etc/resolv.conf
        tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
        mv -f "$tarball.tmp" "$tarball"
        rm -rf "$rootfs"
    fi
    step "importing $name"
    quietly "import $name" podman import --quiet \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        "$tarball" "$name"
}

# base_suite IMAGE: the SUITE of `FROM kbc-base-SUITE`
base_suite() {
    local from
    from=$(awk 'toupper($1) == "FROM" { print $2; exit }' "$images_dir/$1/Containerfile")
    case $from in
    kbc-base-*) printf '%s\n' "${from#kbc-base-}" ;;
    *) die "images/$1/Containerfile: FROM must be kbc-base-SUITE, not '$from'" ;;
    esac
}

# drop_if_dangling STORE ID: remove an image that lost its last tag when a
# newer build took its name (never touches images that still have a name).
drop_if_dangling() {
    local tags
    [ -n "$2" ] || return 0
    tags=$(in_store "$1" image inspect --format '{{.RepoTags}}' "$2" 2>/dev/null) || return 0
    case $tags in '[]' | '') in_store "$1" rmi "$2" >/dev/null 2>&1 || true ;; esac
}

# ------------------------------------------------------------------- images
for img in "${images[@]}"; do
    suite=$(base_suite "$img")
    ctx=$tmpdir/$img
    mkdir -p "$ctx"
    debian_sources_for "$suite" >"$ctx/debian.sources"
    recipe=$(cat "$images_dir/$img/Containerfile" "$ctx/debian.sources" | sha256sum | cut -c1-16)

    stale=()
    for s in "${stores[@]}"; do
        if [ -n "${KBC_REBUILD:-}" ] || [ "$(recipe_label "$s" "$img")" != "$recipe" ]; then
            stale+=("$s")
        fi
    done
    [ "${#stale[@]}" -gt 0 ] || continue

    # Build (or find) the image in rootful Podman, the source for the others.
    if [ -n "${KBC_REBUILD:-}" ] || [ "$(podman image inspect --format \
        "{{index .Config.Labels \"$LABEL\"}}" "$img" 2>/dev/null)" != "$recipe" ]; then
        ensure_base "$suite"
        old=$(podman image inspect --format '{{.Id}}' "$img" 2>/dev/null || true)
        step "building $img (podman, FROM kbc-base-$suite)"
        quietly "podman build $img" podman build --quiet --network=host --pull=never \
            ${KBC_REBUILD:+--no-cache} --label "$LABEL=$recipe" \
            -f "$images_dir/$img/Containerfile" -t "$img" "$ctx"
        [ "$old" = "$(podman image inspect --format '{{.Id}}' "$img")" ] ||
            drop_if_dangling podman "$old"
    fi

    archive=
    for s in "${stale[@]}"; do
        [ "$s" != podman ] || continue
        if [ -z "$archive" ]; then
            archive=$tmpdir/$img.tar
            quietly "podman save $img" podman save -o "$archive" "$img"
        fi
        old=$(in_store "$s" image inspect --format '{{.Id}}' "$img" 2>/dev/null || true)
        step "loading $img into $s"
        case $s in
        docker)
            quietly "docker load $img" /usr/bin/docker load -q -i "$archive"
            # podman's archive names it localhost/IMG; `docker run IMG`
            # looks for docker.io/library/IMG, i.e. IMG.
            quietly "docker tag" /usr/bin/docker tag "localhost/$img:latest" "$img:latest"
            quietly "docker untag" /usr/bin/docker rmi "localhost/$img:latest"
            ;;
        rootless)
            # From stdin: root's private temp dir is no path for the user.
            quietly "rootless load $img" as_kbuilder podman load -q <"$archive"
            ;;
        esac
        [ "$old" = "$(in_store "$s" image inspect --format '{{.Id}}' "$img")" ] ||
            drop_if_dangling "$s" "$old"
    done
    [ -z "$archive" ] || rm -f "$archive"
done

case " ${stores[*]} " in *" rootless "*) stop_rootless_pause ;; esac
