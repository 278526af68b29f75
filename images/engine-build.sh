#!/bin/sh
# engine-build.sh RUNTIME PREFIX BUILD-ARGS...: `RUNTIME build BUILD-ARGS`, and
# when a signal stops it (Ctrl-C, the push hook's worker killed), no build
# container left behind: Podman 4.3's build leaves its working container
# ("Storage" in `podman ps -a --external`) on SIGINT and SIGTERM alike
# (measured), so the ones this build created are removed. The family's builds
# start FROM a PREFIX image, so their working containers are named
# PREFIX...-working-container[-N], and the steps after a cached one
# IMAGE-ID-working-container (mawk has no {12}: the ID's twelve hex digits are
# spelled out); ones that existed before are left alone.
set -u
runtime=$1 prefix=$2
shift 2
ours() {
    case ${runtime##*/} in
    podman) "$runtime" ps -a --external --format '{{.ID}} {{.Names}}' 2>/dev/null |
        awk -v p="$prefix" '(index($2, p) == 1 || $2 ~ /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-working-container/) && $2 ~ /-working-container(-[0-9]+)?$/ { print $1 }' ;;
    esac
}
before=$(ours | tr '\n' ' ')
"$runtime" build "$@" &
pid=$!
# TERM whatever came: a background job of a non-interactive sh starts with
# SIGINT ignored, so the build may not hear an INT.
stop() {
    trap '' INT TERM HUP
    kill -s TERM "$pid" 2>/dev/null
    wait "$pid"
    for id in $(ours); do
        case " $before " in *" $id "*) ;; *) "$runtime" rm --force "$id" >/dev/null 2>&1 ;; esac
    done
    exit "$2"
}
trap 'stop INT 130' INT
trap 'stop TERM 143' TERM
trap 'stop HUP 129' HUP
wait "$pid"
