# Turn family.conf into make rules for the images asked for (see Makefile).
# Input variables: prefix host source images (blank-separated names/tags, empty
# = the default set) present (blank-separated names in the store, without
# "localhost/") state base mirror.
# Output: rules on stdout; an args file per image under state/args, rewritten
# only when its content changes, so make rebuilds exactly what changed.
function fail(msg) { print "$(error " msg ")"; failed = 1; exit }
function id(name) { gsub(/[:\/]/, "_", name); return name }
function write_if_changed(file, text,   old, line) {
    old = ""
    while ((getline line < file) > 0) old = old line "\n"
    close(file)
    if (old == text "\n") return
    printf "%s\n", text > file
    close(file)
}
BEGIN {
    if (prefix !~ /^(([a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?\/)?([a-z0-9]+([._-][a-z0-9]+)*\/)*([a-z0-9]+([._-][a-z0-9]+)*-?)?)?$/)
        fail("PREFIX '" prefix "' is not a valid image reference prefix (lowercase name, optional registry/ and path/, may end in - or /)")
    if (source != "debian" && source != "kernel.org")
        fail("SOURCE '" source "' is not debian, kernel.org or auto")
    n = split(images, want, " ")
    for (i = 1; i <= n; i++) wanted[want[i]] = 1
    m = split(present, have, " ")
    for (i = 1; i <= m; i++) inStore[have[i]] = 1
}
/^[ \t]*(#|$)/ { next }
{
    if (NF != 10) fail("family.conf:" NR ": " NF " columns, 10 expected")
    if ($3 != host) next
    kind[NR] = $1; name[NR] = $2; target[NR] = $4; version[NR] = $5; suite[NR] = $6
    debian[NR] = $7; korg[NR] = $8; tags[NR] = $9; set[NR] = $10
    rows[++nrows] = NR
    if ($1 == "base") baseOf[$6] = NR
    if (n == 0 && $10 == "default") selected[NR] = 1
    if ($2 in wanted) { selected[NR] = 1; found[$2] = 1 }
    t = split($9, tt, ",")
    for (i = 1; i <= t; i++) if (tt[i] in wanted) { selected[NR] = 1; found[tt[i]] = 1 }
}
END {
    if (failed) exit
    for (w in wanted) if (!(w in found)) {
        known = ""
        for (i = 1; i <= nrows; i++) known = known " " name[rows[i]]
        fail("unknown image '" w "' for host " host " (known:" known ")")
    }
    all = ""
    for (i = 1; i <= nrows; i++) {
        r = rows[i]
        if (!(r in selected) || kind[r] == "base" || kind[r] == "qemu") continue
        if (!(suite[r] in baseOf)) fail("family.conf: no base line for suite " suite[r])
        selected[baseOf[suite[r]]] = 1
    }
    for (i = 1; i <= nrows; i++) {
        r = rows[i]
        if (!(r in selected)) continue
        ref = prefix name[r]; me = id(name[r]); stamp = state "/stamp/" me
        if (!(ref in inStore) && !((ref ":latest") in inStore)) system("rm -f '" stamp "'")
        all = all " " stamp
        # kernel.org tarballs come first: a refused one stops make before any build.
        if ((kind[r] == "gcc" || kind[r] == "clang") && source == "kernel.org" && korg[r] != "-") fetch = fetch " " state "/korg/" korg[r]
        tagList = ""
        t = split(tags[r], tt, ",")
        for (j = 1; j <= t; j++) if (tt[j] != "-") tagList = tagList " " prefix tt[j]
        labels = "--label org.opencontainers.image.title=" ref
        # REVISION (the hook's pushed commit) labels every image it builds.
        if (revision != "") labels = labels " --label org.opencontainers.image.revision=" revision
        if (kind[r] == "base" || kind[r] == "qemu") {
            # BASE unset: this PREFIX's debootstrap base if the store has it, else Debian's slim image.
            b = base
            if (b == "") b = ((prefix "debian-base:" suite[r]) in inStore) ? prefix "debian-base:SUITE" : "docker.io/library/debian:SUITE-slim"
            gsub(/SUITE/, suite[r], b)
        }
        if (kind[r] == "qemu") {
            # QEMU and the guest's static busybox come from Debian whatever SOURCE says:
            # kernel.org publishes toolchains, not emulators.
            args = "--build-arg BASE=" b " --build-arg PACKAGES=" debian[r] " --build-arg GUEST_ARCH=" target[r] " " labels \
                   " --label org.opencontainers.image.base.name=" b " --label org.opencontainers.image.version=" version[r] \
                   " --label org.kernel.toolchain.debian-packages=" debian[r] " --label org.kernel.toolchain.debian-suite=" suite[r] \
                   " --label org.kernel.toolchain.target=" target[r]
            deps = "Containerfile.qemu"
            file = "Containerfile.qemu"
        } else if (kind[r] == "base") {
            args = "--build-arg BASE=" b " --build-arg SUITE=" suite[r] \
                   (mirror != "" ? " --build-arg DEBIAN_MIRROR=" mirror : "") " " labels \
                   " --label org.opencontainers.image.base.name=" b \
                   " --label org.kernel.toolchain.debian-suite=" suite[r]
            deps = "Containerfile.base"
            file = "Containerfile.base"
        } else {
            tk = target[r] == "arm64" ? "aarch64" : target[r]
            # kselftest / kunit: Debian's GCC plus the selftests' libraries and BPF tools,
            # or kunit.py's Python, whatever SOURCE says (kernel.org's nolibc compilers
            # cannot link user programs: the selftests, User-Mode Linux).
            hosted = kind[r] == "kselftest" || kind[r] == "kunit"
            src = hosted ? "debian" : source
            comp = hosted ? "gcc" : kind[r]
            # kdocs: Debian's Sphinx (kernel.org publishes no Sphinx); its version is checked like a compiler's.
            if (kind[r] == "kdocs") { src = "debian"; comp = "sphinx" }
            if (src == "kernel.org") {
                if (korg[r] == "-") fail(name[r] " has no kernel.org tarball (family.conf); use SOURCE=debian")
                tarball = korg[r]; sub(/.*\//, "", tarball)
                cross = ""
                if (kind[r] == "gcc") { cross = tarball; sub(/.*-nolibc-/, "", cross); sub(/\.tar\..*/, "-", cross) }
                what = "--build-arg TARBALL=" tarball " --label org.kernel.toolchain.tarball=" korg[r]
            } else {
                if (comp == "gcc" && tk != host) cross = tk "-linux-gnu-"; else cross = ""
                what = "--build-arg PACKAGES=" debian[r] " --label org.kernel.toolchain.debian-packages=" debian[r] \
                       " --label org.kernel.toolchain.debian-suite=" suite[r]
            }
            args = "--build-arg TOOLCHAIN_BASE=" prefix name[baseOf[suite[r]]] " --build-arg SOURCE=" src \
                   " --build-arg COMPILER=" comp " --build-arg VERSION=" version[r] \
                   " --build-arg CROSS_COMPILE=" cross " " what " " labels \
                   " --label org.opencontainers.image.version=" version[r] \
                   " --label org.opencontainers.image.description=" kind[r] "-" version[r] "-for-" target[r] "-from-" src \
                   " --label org.kernel.toolchain.source=" src " --label org.kernel.toolchain.compiler=" comp \
                   " --label org.kernel.toolchain.version=" version[r] " --label org.kernel.toolchain.target=" target[r] \
                   " --label org.kernel.toolchain.host=" host
            # The tarball first: a refused one stops make before any build.
            deps = (src == "kernel.org" ? state "/korg/" korg[r] " " : "") \
                   "Containerfile install-toolchain.sh " state "/stamp/" id(name[baseOf[suite[r]]])
            file = "Containerfile"
        }
        if (kind[r] != "base") names = names " " ref tagList
        write_if_changed(state "/args/" me, args)
        printf "ARGS_%s := %s\n", me, args
        printf "%s: %s/args/%s %s\n", stamp, state, me, deps
        printf "\t$(call build-image,%s,%s,%s,%s,%s)\n", ref, file, me, tagList, ((kind[r] == "gcc" || kind[r] == "clang") && source == "kernel.org" ? korg[r] : "")
    }
    printf "all-images:%s%s\n", fetch, all
    printf "FAMILY_NAMES :=%s\n", names
    printf "list-tags:\n\t@echo%s\n", names
}
