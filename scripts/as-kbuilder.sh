#!/usr/bin/env bash
# Run a command as the rootless-Podman user (default kbuilder, env KBC_USER)
# with the environment rootless Podman needs, in the current directory, with
# the caller's PATH.  Exit status is the command's.
#
#   scripts/as-kbuilder.sh podman run --rm --network=none --userns=keep-id korg-gcc true
#
# This host has no systemd/logind, so nothing creates /run/user/UID and
# `loginctl enable-linger` cannot work; `su -`/`runuser -l` also leave
# XDG_RUNTIME_DIR unset or, worse, inherited from root (/run/user/0), and then
# podman either refuses ("XDG_RUNTIME_DIR ... not owned by the current user")
# or falls back to a /tmp directory that differs from the one later calls
# use.  What works (measured, Podman 4.3.1, util-linux runuser):
#
#   install -d -m 700 -o kbuilder -g kbuilder /run/user/1500
#   runuser -u kbuilder -- env -u DBUS_SESSION_BUS_ADDRESS \
#       -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_CACHE_HOME \
#       HOME=/home/kbuilder USER=kbuilder LOGNAME=kbuilder \
#       XDG_RUNTIME_DIR=/run/user/1500 PATH="$PATH" podman ...
#
# runuser (unlike `su`) needs no password or PAM session and keeps the
# current directory and environment; it would set PATH from login.defs
# (ENV_PATH), so PATH is passed explicitly.  `runuser -l`/`su -` would cd to
# $HOME: not wanted.  The directory must be readable by the user.
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

exec runuser -u "$KBC_USER" -- env \
    -u DBUS_SESSION_BUS_ADDRESS -u XDG_CONFIG_HOME -u XDG_DATA_HOME \
    -u XDG_CACHE_HOME -u XDG_STATE_HOME \
    HOME="$home" USER="$KBC_USER" LOGNAME="$KBC_USER" \
    XDG_RUNTIME_DIR="$rundir" PATH="$PATH" \
    "$@"
