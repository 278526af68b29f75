# Shared helpers for the host set-up scripts; sourced, not executed.
# shellcheck shell=bash

KBC_USER=${KBC_USER:-kbuilder}
KBC_CACHE=${KBC_CACHE:-/var/cache/kbuild-container}
# The apt sources this machine is configured with.  Mirror host names are
# never written into the project: they are read from here at run time.
KBC_DEBIAN_SOURCES=${KBC_DEBIAN_SOURCES:-/etc/apt/sources.list.d/debian.sources}

kbc_scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

step() { printf '==> %s\n' "$*" >&2; }
die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# quietly WHAT COMMAND...: run COMMAND, show its output only when it fails.
quietly() {
    local what=$1 out; shift
    if ! out=$("$@" 2>&1); then
        printf '%s\n' "$out" >&2
        die "$what failed: $*"
    fi
}

require_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

# The host's Debian codename (bookworm): the suite names in debian.sources
# are rewritten relative to it.
host_codename() {
    # shellcheck disable=SC1091
    (. /etc/os-release && printf '%s\n' "${VERSION_CODENAME:?}")
}

# debian_sources_for SUITE: print a deb822 sources file with the host's
# stanzas and URIs, the host codename replaced by SUITE in every Suites
# field (bookworm-security -> trixie-security ...).  sid has no -updates or
# -security suites: those are dropped, and stanzas left without suites too.
debian_sources_for() {
    local suite=$1 host
    host=$(host_codename)
    [ -r "$KBC_DEBIAN_SOURCES" ] || die "cannot read $KBC_DEBIAN_SOURCES"
    awk -v host="$host" -v suite="$suite" '
        function flush() {
            if (n && keep) { if (printed) print ""; for (i = 1; i <= n; i++) print lines[i]; printed = 1 }
            n = 0; keep = 1
        }
        BEGIN { keep = 1 }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        tolower($1) == "suites:" {
            out = ""
            for (i = 2; i <= NF; i++) {
                s = $i
                if (s == host) s = suite
                else if (index(s, host "-") == 1) {
                    if (suite == "sid" || suite == "unstable") continue
                    s = suite substr(s, length(host) + 1)
                }
                out = out " " s
            }
            if (out == "") keep = 0
            lines[++n] = "Suites:" out
            next
        }
        { lines[++n] = $0 }
        END { flush() }
    ' "$KBC_DEBIAN_SOURCES"
}

# debian_mirror_uri: the first URI of the stanza serving the host codename
# itself (not -security), for debootstrap.
debian_mirror_uri() {
    local host uri
    host=$(host_codename)
    uri=$(awk -v host="$host" '
        /^[ \t]*$/ { if (suite && uri) { print uri; exit } ; suite = 0; uri = ""; next }
        tolower($1) == "uris:" { uri = $2 }
        tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == host) suite = 1 }
        END { if (suite && uri) print uri }
    ' "$KBC_DEBIAN_SOURCES" | head -n1)
    [ -n "$uri" ] || die "no URI for suite $host in $KBC_DEBIAN_SOURCES"
    printf '%s\n' "$uri"
}

# kbc_lock NAME: hold an exclusive lock on fd 9 until the script exits, so
# that concurrent runs of one script wait for each other.
kbc_lock() {
    mkdir -p "$KBC_CACHE"
    exec 9>"$KBC_CACHE/.$1.lock"
    flock 9
}

# as_kbuilder COMMAND...: see scripts/as-kbuilder.sh.  fd 9 (the lock) is
# closed: rootless podman leaves a pause process behind that would
# otherwise hold the lock after the script ended.
as_kbuilder() { "$kbc_scripts/as-kbuilder.sh" "$@" 9>&-; }

# stop_rootless_pause: rootless Podman keeps a `catatonit -P` "pause"
# process per user alive after the first command (it holds the user
# namespace; later commands join it).  Stop it when no rootless container
# runs, so that set-up leaves no processes behind; the next rootless podman
# command starts a new one (and prints the "/" is not a shared mount
# warning again).  Killed by the PID Podman recorded, after checking it is
# that user's catatonit.
stop_rootless_pause() {
    local uid pidfile pid
    uid=$(id -u "$KBC_USER" 2>/dev/null) || return 0
    pidfile=/run/user/$uid/libpod/tmp/pause.pid
    [ -r "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 0
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = catatonit ] || return 0
    [ "$(stat -c %u "/proc/$pid")" = "$uid" ] || return 0
    [ -z "$(as_kbuilder podman ps -q 2>/dev/null)" ] || return 0
    kill "$pid" 2>/dev/null || true
}
