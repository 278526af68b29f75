#!/usr/bin/env bash
# Prepare this host for kbuild-container: container engines, their host
# configuration, a running Docker daemon and an unprivileged user `kbuilder`
# for rootless Podman.  Run as root.  Idempotent: every step checks first and
# does nothing when its result is already in place.
#
# Why each step exists is measured, see /work/shared/ENVIRONMENT.md:
#  - crun fails on this host's hybrid cgroups and the default ulimits exceed
#    the VM's, hence a containers.conf drop-in (a HOST property: the product
#    itself must never write it, set-up scripts and CI may).  Only the keys
#    this host needs, in a file of our own under /etc/containers/
#    containers.conf.d/ (Podman 4.3 reads it after containers.conf, for
#    rootful and rootless runs): someone's containers.conf is never touched.
#  - There is no systemd here: nothing starts dockerd, and there is no logind,
#    so no /run/user/UID for rootless Podman.  scripts/as-kbuilder.sh provides
#    the runtime directory itself (see there for the exact incantation).
#    Where systemd runs, it starts dockerd; we start it only where nothing can.
#
# Any file this script replaces is kept as FILE.kbc-backup-DATE first.  The
# last line says what changed ("setup-engines: nothing changed" when all was
# in place).
#
# Usage: scripts/setup-engines.sh            (env KBC_USER, default kbuilder)
#
# Timings measured on the 2-core Debian 12 VM:
#   package check (one dpkg-query)          0.04 s
#   apt-get update + install, fresh bookworm 91 s (measured in a privileged
#                                           container from a minbase rootfs)
#   dockerd start until `docker info`       1.5 s
#   user, subuid/subgid, containers.conf    < 0.1 s
#   podman system migrate (rootless)        0.7 s
#   probe image import, per store           0.3-1.5 s (first run only)
#   verification: run `true` rootful/rootless/docker  0.3-1 s each
#   whole script when everything is in place 1.1 s idle, 2.1 s at load 12
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KBC_UID=${KBC_UID:-1500}
DOCKERD_LOG=/var/log/kbc-dockerd.log

require_root

# What this run changed, for the closing line.
changes=()
changed() { changes+=("$*"); }

# --------------------------------------------------------------------------
# 1. Debian packages (only when something is missing)
# --------------------------------------------------------------------------
# tmux drives menuconfig through a real terminal; docker-registry (the OCI
# distribution registry, bound to 127.0.0.1 by the tests that start it) and dma
# (a local MTA behind /usr/sbin/sendmail, delivering to /var/mail) serve the
# push hook's tests.
packages=(podman runc uidmap slirp4netns fuse-overlayfs docker.io debootstrap
          catatonit tini hyperfine make gcc bc flex bison libelf-dev
          libssl-dev cpio kmod xz-utils git tmux docker-registry dma)

# One dpkg-query for all (0.04 s; one per package took 0.9 s).
installed=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${packages[@]}" 2>/dev/null |
    awk '$1 == "ii" { printf "%s ", $2 }' || true)"
missing=()
for p in "${packages[@]}"; do
    case $installed in *" $p "*) ;; *) missing+=("$p") ;; esac
done
if [ "${#missing[@]}" -gt 0 ]; then
    step "installing ${missing[*]}"
    # Without systemd, docker.io's postinst would start /etc/init.d/docker
    # with default options (iptables, bridge) which this VM does not allow;
    # a policy-rc.d that says "no" keeps apt from starting any service.  We
    # start dockerd ourselves below.  Only add one if none exists.
    policy_added=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_added=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    quietly "apt-get update" apt-get update -q
    # --no-install-recommends: podman recommends dbus-user-session (pulls in
    # systemd) and docker.io recommends needrestart/apparmor; none is needed.
    quietly "apt-get install" apt-get install -y -q --no-install-recommends "${missing[@]}"
    if [ -n "$policy_added" ]; then
        rm -f /usr/sbin/policy-rc.d
        trap - EXIT
    fi
    changed "installed ${missing[*]}"
fi

# --------------------------------------------------------------------------
# 2. containers.conf keys this host needs (runc, cgroupfs, ulimits the VM allows)
# --------------------------------------------------------------------------
containers_conf='[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4000:4000"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'
containers_dropin=/etc/containers/containers.conf.d/50-kbuild-container.conf

# write_if_changed FILE CONTENT [OWNER]: write FILE unless it holds CONTENT;
# a different FILE is kept as FILE.kbc-backup-DATE first.
write_if_changed() {
    local file=$1 content=$2 owner=${3:-} backup
    if [ -f "$file" ] && [ "$(cat "$file")" = "$content" ]; then
        return 0
    fi
    step "writing $file"
    mkdir -p "$(dirname "$file")"
    if [ -e "$file" ]; then
        backup=$file.kbc-backup-$(date +%Y%m%d-%H%M%S)
        cp -a "$file" "$backup"
        changed "wrote $file (the old one kept as $backup)"
    else
        changed "wrote $file"
    fi
    printf '%s\n' "$content" >"$file.tmp.$$"
    chmod 644 "$file.tmp.$$"
    [ -z "$owner" ] || chown "$owner" "$file.tmp.$$"
    mv -f "$file.tmp.$$" "$file"
}

# legacy_conf FILE: FILE is the whole containers.conf that earlier versions of
# this script wrote (exactly our keys, nothing else): it does what the drop-in
# would, and it is ours; left as it is.
legacy_conf() { [ -f "$1" ] && [ "$(cat "$1")" = "$containers_conf" ]; }

if ! legacy_conf /etc/containers/containers.conf; then
    write_if_changed "$containers_dropin" "$containers_conf"
fi

# --------------------------------------------------------------------------
# 3. Docker daemon
# --------------------------------------------------------------------------
# Debian's client is /usr/bin/docker; another (newer) client may come first
# on PATH, both talk to the same engine.
# Where systemd runs (and so manages docker.service), it starts the daemon;
# only where no service manager does (this VM) do we start dockerd by hand.
if ! /usr/bin/docker info >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    step "starting docker.service"
    quietly "systemctl start docker" systemctl start docker.service
    changed "started docker.service"
elif ! /usr/bin/docker info >/dev/null 2>&1; then
    step "starting dockerd (log: $DOCKERD_LOG)"
    # setsid: own session and process group, so neither the end of this
    # script nor a job-control kill of its group takes dockerd down; nohup
    # and redirected stdio: no terminal, no SIGHUP.
    setsid nohup dockerd --iptables=false --bridge=none \
        </dev/null >>"$DOCKERD_LOG" 2>&1 &
    disown || true
    for _ in $(seq 1 120); do
        /usr/bin/docker info >/dev/null 2>&1 && break
        sleep 0.5
    done
    /usr/bin/docker info >/dev/null 2>&1 ||
        die "dockerd did not answer within 60 s, see $DOCKERD_LOG"
    changed "started dockerd (no service manager here; log: $DOCKERD_LOG)"
fi

# --------------------------------------------------------------------------
# 4. Unprivileged user for rootless Podman
# --------------------------------------------------------------------------
if ! id -u "$KBC_USER" >/dev/null 2>&1; then
    step "creating user $KBC_USER"
    uid_opt=()
    if ! getent passwd "$KBC_UID" >/dev/null && ! getent group "$KBC_UID" >/dev/null; then
        uid_opt=(-u "$KBC_UID")
    fi
    useradd -m -U -s /bin/bash "${uid_opt[@]}" "$KBC_USER"
    changed "created user $KBC_USER"
fi
kuid=$(id -u "$KBC_USER")
kgid=$(id -g "$KBC_USER")
khome=$(getent passwd "$KBC_USER" | cut -d: -f6)

# useradd normally adds 65536 subordinate ids; add a range if it did not
# (or the user existed before without one), above every range in use.
add_subids() { # FILE usermod-option
    local file=$1 opt=$2 start
    if grep -Eq "^($KBC_USER|$kuid):" "$file" 2>/dev/null; then
        return 0
    fi
    start=$(awk -F: 'BEGIN { m = 100000 } { e = $2 + $3; if (e > m) m = e } END { print m }' \
        "$file" 2>/dev/null || echo 100000)
    step "adding $file range $start-$((start + 65535)) for $KBC_USER"
    usermod "$opt" "$start-$((start + 65535))" "$KBC_USER"
    changed "added a $file range for $KBC_USER"
}
add_subids /etc/subuid --add-subuids
add_subids /etc/subgid --add-subgids

# The system drop-in applies to rootless Podman too (system files first, then
# the user's own, which are left alone).
mkdir -p "$khome/.config/containers"
# Directories created here belong to root: hand them over.
for d in "$khome/.config" "$khome/.config/containers"; do
    [ "$(stat -c %u "$d")" = "$kuid" ] || chown "$kuid:$kgid" "$d"
done

# Rootless Podman falls back to the vfs driver here, which copies the whole
# image for every container start and deletes it at every removal (measured:
# `podman rm` 2.5-6.5 s, so no stop within 1 s). Native rootless overlay works
# on this kernel: ask for it, and reset a store that was made with vfs (its
# images are loaded again by build-images.sh).
write_if_changed "$khome/.config/containers/storage.conf" \
    $'[storage]\ndriver = "overlay"' "$kuid:$kgid"
if [ -d "$khome/.local/share/containers/storage/vfs" ]; then
    step "resetting $KBC_USER's vfs image store to overlay"
    quietly "podman system reset" as_kbuilder podman system reset --force
    rm -f "$khome/.local/share/containers/.kbc-migrated"
    changed "reset $KBC_USER's vfs image store"
fi

# `podman system migrate` once, after the subuid ranges exist (it restarts
# the rootless pause process so that it picks the new mappings up).
migrated="$khome/.local/share/containers/.kbc-migrated"
if [ ! -e "$migrated" ]; then
    step "podman system migrate as $KBC_USER"
    # (warns that "/" is not a shared mount: harmless for our bind mounts)
    quietly "podman system migrate" as_kbuilder podman system migrate
    # shellcheck disable=SC2016 # expanded by the inner shell
    as_kbuilder sh -c 'mkdir -p "$(dirname "$1")" && touch "$1"' sh "$migrated"
    changed "ran podman system migrate as $KBC_USER"
fi

# --------------------------------------------------------------------------
# 5. Verify: `true` in each engine: rootful, rootless with keep-id, docker
# --------------------------------------------------------------------------
# The toolchain images come later (scripts/build-images.sh needs this script
# first), so verification uses a tiny local image `kbc-probe` made of the
# host's /usr/bin/true and the libraries it links: no registry, ~1 MB,
# imported once per store in ~0.3 s.
probe=kbc-probe
probe_tar=
make_probe_tar() {
    [ -z "$probe_tar" ] || return 0
    local root f
    root=$(mktemp -d)
    chmod 755 "$root" # mktemp's 0700 would become the image's "/": no
                      # access for a non-root container user (keep-id)
    probe_tar=$root.tar
    for f in /usr/bin/true $(ldd /usr/bin/true | grep -o '/[^ ]*'); do
        mkdir -p "$root$(dirname "$f")"
        cp -L "$f" "$root$f"
    done
    # usrmerge layout, as in Debian images
    ln -s usr/bin "$root/bin"
    tar -C "$root" -cf "$probe_tar" .
    rm -rf "$root"
}
cleanup_probe() { [ -z "$probe_tar" ] || rm -f "$probe_tar"; }
trap cleanup_probe EXIT

ensure_probe() { # label engine-command...
    local label=$1; shift
    if ! "$@" image inspect "$probe" >/dev/null 2>&1; then
        step "importing $probe image into $label"
        make_probe_tar
        quietly "$label: import" "$@" import "$probe_tar" "$probe"
        changed "imported $probe into $label"
    fi
}
verify() { quietly "verification failed: $1" "${@:2}"; }

ensure_probe "rootful podman" podman
verify "rootful podman" podman run --rm --network=none "$probe" true
ensure_probe "rootless podman ($KBC_USER)" as_kbuilder podman
verify "rootless podman" as_kbuilder \
    podman run --rm --network=none --userns=keep-id "$probe" true
stop_rootless_pause
ensure_probe docker /usr/bin/docker
verify docker /usr/bin/docker run --rm --network=none "$probe" true

# One line: what this run changed on the host.
if [ "${#changes[@]}" -eq 0 ]; then
    echo "setup-engines: nothing changed (all in place)"
else
    summary=$(printf '%s; ' "${changes[@]}")
    echo "setup-engines: changed: ${summary%; }"
fi
