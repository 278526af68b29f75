#!/usr/bin/env bash
# Run a command as the rootless-Podman user (default kbuilder, env KBC_USER)
# with the environment rootless Podman needs, in the current directory, with
# the caller's PATH.  Exit status is the command's.
#
#   scripts/as-kbuilder.sh podman run --rm --network=none --userns=keep-id korg-gcc true
#
# This host has no systemd/logind, so nothing creates /run/user/UID and
# `loginctl enable-linger` cannot work.  Measured with Podman 4.3.1:
#  - XDG_RUNTIME_DIR inherited from root (/run/user/0): "mkdir /run/user/0:
#    permission denied", exit 126.
#  - XDG_RUNTIME_DIR unset and no /run/user/UID: podman creates
#    /tmp/podman-run-UID but then fails "creating events dirs: mkdir
#    /run/user/1500: permission denied", exit 125.
#  - /run/user/UID present, owned by the user, mode 0700: works, with or
#    without XDG_RUNTIME_DIR; we set it explicitly.
# The incantation (as root):
#
#   install -d -m 700 -o kbuilder -g kbuilder /run/user/1500
#   setpriv --reuid=kbuilder --regid=kbuilder --init-groups -- env \
#       -u DBUS_SESSION_BUS_ADDRESS -u XDG_CONFIG_HOME -u XDG_DATA_HOME \
#       -u XDG_CACHE_HOME -u XDG_STATE_HOME HOME=/home/kbuilder \
#       USER=kbuilder LOGNAME=kbuilder XDG_RUNTIME_DIR=/run/user/1500 \
#       PATH="$PATH" podman ...
#
# setpriv (util-linux) only changes ids and execs: the command keeps this
# script's PID, process group, cwd and environment, and signals reach it
# directly.  `runuser -u kbuilder -- ...` works too (same env needed) but
# stays as a watching parent: SIGTERM to it prints "Session terminated,
# killing shell... ...killed." and exits 143 only after 2 s (it SIGKILLs the
# child after a 2 s grace, measured), and SIGKILL to it orphans the child.
# `su -`/`runuser -l` also cd to $HOME: not wanted.  The current directory
# must be reachable by the user (from /root it is not).
set -euo pipefail

KBC_USER=${KBC_USER:-kbuilder}

[ "$#" -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }

uid=$(id -u "$KBC_USER" 2>/dev/null) || {
    echo "as-kbuilder: no user $KBC_USER (run scripts/setup-engines.sh)" >&2
    exit 2
}
gid=$(id -g "$KBC_USER")
home=$(getent passwd "$KBC_USER" | cut -d: -f6)
rundir=/run/user/$uid

if [ "$(id -u)" = "$uid" ]; then
    # Already the user (e.g. a login without logind): only fill the gap.
    if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -O "$XDG_RUNTIME_DIR" ]; then
        if [ -d "$rundir" ] && [ -O "$rundir" ]; then
            export XDG_RUNTIME_DIR=$rundir
        else
            unset XDG_RUNTIME_DIR # podman falls back to /tmp/podman-run-UID
        fi
    fi
    exec "$@"
fi

[ "$(id -u)" = 0 ] || {
    echo "as-kbuilder: must run as root or as $KBC_USER" >&2
    exit 2
}

# /run is a tmpfs: recreate after a reboot.  Cheap when present.
if [ ! -d "$rundir" ] || [ "$(stat -c %u "$rundir")" != "$uid" ]; then
    install -d -m 700 -o "$uid" -g "$gid" "$rundir"
fi

exec setpriv --reuid="$uid" --regid="$gid" --init-groups -- env \
    -u DBUS_SESSION_BUS_ADDRESS -u XDG_CONFIG_HOME -u XDG_DATA_HOME \
    -u XDG_CACHE_HOME -u XDG_STATE_HOME \
    HOME="$home" USER="$KBC_USER" LOGNAME="$KBC_USER" \
    XDG_RUNTIME_DIR="$rundir" PATH="$PATH" \
    "$@"
