// A boot's settings and its container run, decided without touching anything. Pure.
import type { Override } from '../parse/makeflags.js';
import type { Engine, HostFacts } from '../plan/engines/index.js';
import { containerRunArgs, wrapped, type Mount, type RunPlan } from '../plan/plan-run.js';
import { UserError } from '../errors.js';
import { BOOT_ARCHES, type BootArch } from './arches.js';
import { RESULT_PREFIX } from './verdict.js';
import { GUEST_KSELFTEST, parseKselftestVariable } from './kselftest.js';

/** The variables of a boot; read from the make command line, else the environment. */
export interface BootSettings {
  /** The guest command, run by /bin/sh in the guest. */
  command: string;
  /** Seconds from QEMU's start to TIMEOUT. */
  timeoutSeconds: number;
  /** The image QEMU runs in, when the user named one (BOOT_CONTAINER). */
  image?: string;
  /** Extra kernel command-line words (BOOT_APPEND), e.g. `rdinit=/nonexistent`. */
  append: string;
  /** BOOT_ACCEL: `auto` probes KVM, `tcg`/`kvm` force one. */
  accel: 'auto' | 'kvm' | 'tcg';
  /** BOOT_KSELFTEST: installed selftest collections the guest runs instead of BOOT_CMD. */
  kselftest: string[];
}

/** Our variables: they configure the boot and never reach the inner make. */
export const BOOT_VARIABLES = ['BOOT_CMD', 'BOOT_TIMEOUT', 'BOOT_CONTAINER', 'BOOT_APPEND', 'BOOT_ACCEL', 'BOOT_KSELFTEST'] as const;

export const BOOT_DEFAULTS = { command: 'uname -r', timeoutSeconds: 120, append: '', accel: 'auto' } as const;

/** BOOT_* from the command line (first) or the environment, validated: one clear line per bad value. */
export function readBootSettings(overrides: Override[], env: NodeJS.ProcessEnv): BootSettings {
  const typed = new Map(overrides.map((o) => [o.name, o.value]));
  const get = (name: string) => typed.get(name) ?? env[name];
  const timeoutText = get('BOOT_TIMEOUT')?.trim();
  let timeoutSeconds: number = BOOT_DEFAULTS.timeoutSeconds;
  if (timeoutText !== undefined && timeoutText !== '') {
    if (!/^\d+(\.\d+)?$/.test(timeoutText) || Number(timeoutText) <= 0) {
      throw new UserError(`BOOT_TIMEOUT='${timeoutText}' is not a number of seconds (e.g. BOOT_TIMEOUT=60)`);
    }
    timeoutSeconds = Number(timeoutText);
  }
  const accel = (get('BOOT_ACCEL')?.trim() || BOOT_DEFAULTS.accel) as BootSettings['accel'];
  if (!['auto', 'kvm', 'tcg'].includes(accel)) throw new UserError(`BOOT_ACCEL='${accel}' is not one of auto, kvm, tcg`);
  const command = get('BOOT_CMD');
  return {
    command: command === undefined || command.trim() === '' ? BOOT_DEFAULTS.command : command,
    timeoutSeconds,
    image: get('BOOT_CONTAINER')?.trim() || undefined,
    append: get('BOOT_APPEND')?.trim() ?? '',
    accel,
    kselftest: parseKselftestVariable(get('BOOT_KSELFTEST')),
  };
}

/** Which goals build and whether a boot follows: `boot` runs last, after every other goal. */
export function splitBootGoals(goals: string[]): { buildGoals: string[]; boot: boolean } {
  return { buildGoals: goals.filter((g) => g !== 'boot'), boot: goals.includes('boot') };
}

/**
 * The image QEMU runs in: BOOT_CONTAINER; else CONTAINER when `boot` is the
 * only goal (`make CONTAINER=korg-qemu:x86 boot`); else the korg-qemu image
 * of the tree's architecture (`make CONTAINER=korg-gcc bzImage boot`).
 */
export function chooseBootImage(settings: BootSettings, container: string, buildGoals: string[], arch: BootArch): string {
  if (settings.image) return settings.image;
  if (buildGoals.length === 0) return container;
  return BOOT_ARCHES[arch].bootImage;
}

/** Where the initramfs is made inside the container. */
export const GUEST_DIR = '/tmp/kbuild-container-guest';
/** The guest's busybox, at this path in every korg-qemu image. */
export const GUEST_BUSYBOX = '/usr/lib/kbuild-container/guest/busybox';
/** Exit statuses of the boot script for what is missing from the image. */
export const SCRIPT_EXIT = { noQemu: 90, noBusybox: 91, initramfs: 92, timeout: 124 } as const;

/** QEMU's command line: serial console on stdout, no monitor, no display, no reboot, the guest's panic ends it. */
export function qemuArgs(arch: BootArch, p: { kernel: string; initramfs: string; accel: 'kvm' | 'tcg'; append: string; memoryMiB?: number }): string[] {
  const spec = BOOT_ARCHES[arch];
  const cmdline = [`console=${spec.console}`, 'panic=-1', 'rdinit=/init', p.append].filter(Boolean).join(' ');
  return [
    spec.qemu,
    ...spec.machine,
    '-accel',
    p.accel,
    '-m',
    `${p.memoryMiB ?? 256}M`,
    // Nothing but what we add: no NIC, no VGA, no user config; the monitor never mixes into the console.
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    'stdio',
    // The kernel's reboot (our init's `reboot -f`) and panic=-1 end QEMU instead of restarting the guest.
    '-no-reboot',
    '-kernel',
    p.kernel,
    '-initrd',
    p.initramfs,
    '-append',
    cmdline,
  ];
}

/**
 * The guest's /init. The nonce is in two halves that only the shell joins, so
 * not even printing this file puts the whole nonce on the console; the kernel
 * never sees it (it is not on the command line).
 */
export function guestInit(nonce: string): string {
  const half = Math.floor(nonce.length / 2);
  return [
    '#!/bin/sh',
    '/bin/busybox --install -s /bin',
    'mount -t proc proc /proc 2>/dev/null',
    'mount -t sysfs sysfs /sys 2>/dev/null',
    'mount -t devtmpfs devtmpfs /dev 2>/dev/null',
    'cd /',
    '/bin/sh /cmd',
    's=$?',
    `a=${nonce.slice(0, half)} b=${nonce.slice(half)}`,
    `printf '\\n%s %s%s status=%d\\n' ${RESULT_PREFIX} "$a" "$b" "$s"`,
    'reboot -f',
    '',
  ].join('\n');
}

// Runs in the container, under the same wrapper as a build (so a stop request
// reaches QEMU at once): makes the initramfs from the image's busybox, then
// runs QEMU with its console turned into LF lines (sed -u: line by line, as it comes), copied to console.log in
// the work directory for the verdict. timeout(1) stops QEMU at BOOT_TIMEOUT;
// QEMU's own status is kept in a file (a pipeline would lose it).
export const BOOT_SCRIPT = [
  'w=$1 t=$2 q=$3 init=$4 cmd=$5 ks=$6 kscopy=$7; shift 7',
  // What the image lacks is said by the runner, in one line, from these statuses.
  `command -v "$1" >/dev/null 2>&1 || exit ${SCRIPT_EXIT.noQemu}`,
  `[ -x ${GUEST_BUSYBOX} ] || exit ${SCRIPT_EXIT.noBusybox}`,
  `r=${GUEST_DIR}; rm -rf "$r"; mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" || exit ${SCRIPT_EXIT.initramfs}`,
  `cp ${GUEST_BUSYBOX} "$r/bin/busybox" && ln -s busybox "$r/bin/sh" || exit ${SCRIPT_EXIT.initramfs}`,
  `printf "%s\\n" "$init" >"$r/init" && chmod 755 "$r/init" && printf "%s\\n" "$cmd" >"$r/cmd" || exit ${SCRIPT_EXIT.initramfs}`,
  // BOOT_KSELFTEST: the chosen parts of the install directory (word list: collection names have no blanks).
  `[ -z "$ks" ] || { mkdir -p "$r${GUEST_KSELFTEST}" && cd "$ks" && cp -a --parents $kscopy "$r${GUEST_KSELFTEST}/" && cd /; } || exit ${SCRIPT_EXIT.initramfs}`,
  // Their dynamically linked programs: the shared libraries ldd finds in this image (x86_64 guests: the
  // image's own libc), at the same paths; a library the image lacks stays missing and that test fails.
  `[ -z "$ks" ] || find "$r${GUEST_KSELFTEST}" -type f -perm -u+x -exec ldd {} \\; 2>/dev/null | sed -n 's,^.*[[:space:]]\\(/[^ ]*\\) (0x[0-9a-f]*)$,\\1,p' | sort -u | while read -r l; do cp -L --parents "$l" "$r/" || exit 1; done || exit ${SCRIPT_EXIT.initramfs}`,
  `(cd "$r" && find . | cpio -o -H newc --quiet) >"$r.cpio" || exit ${SCRIPT_EXIT.initramfs}`,
  '[ -z "$q" ] || exec >/dev/null 2>&1',
  '{ timeout "$t" "$@" </dev/null; echo $? >"$w/qemu-status"; } | sed -u "s/\\r//g" | tee "$w/console.log"',
  's=$(cat "$w/qemu-status" 2>/dev/null) || s=1',
  'exit "$s"',
].join('\n');

export interface BootPlanInput {
  arch: BootArch;
  engine: Engine;
  enginePath: string;
  host: HostFacts;
  image: string;
  /** The directory holding the kernel image (O=, or the tree): mounted read-only. */
  buildDir: string;
  /** The host directory for console.log, mounted read-write. */
  workDir: string;
  settings: BootSettings;
  accel: 'kvm' | 'tcg';
  nonce: string;
  runId: string;
  /** Keep the console off stdout (the KVM probe): it still goes to console.log. */
  quiet?: boolean;
  /** Extra engine words (CONTAINER_ARGS), as for builds. */
  extraArgs?: string[];
  /** Selftests to copy into the initramfs: the install directory (inside buildDir) and the paths below it. */
  kselftest?: { dir: string; copy: string[] };
}

/** The container run of one boot, in the shape superviseRun takes. */
export function planBoot(p: BootPlanInput): RunPlan {
  const spec = BOOT_ARCHES[p.arch];
  const name = `kbuild-boot-${p.runId}`;
  const startMarker = `kbuild-container-started-${p.runId}`;
  const mounts: Mount[] = [
    { path: p.buildDir, readOnly: true },
    { path: p.workDir, readOnly: false },
  ];
  const args = containerRunArgs({
    engine: p.engine,
    host: p.host,
    name,
    runId: p.runId,
    network: 'none',
    attachStdin: false,
    interactive: false,
    extra: p.accel === 'kvm' ? ['--device=/dev/kvm'] : [],
    env: { HOME: '/tmp' },
    mounts,
    workdir: p.workDir,
    engineArgs: p.extraArgs ?? [],
    image: p.image,
  });
  const qemu = qemuArgs(p.arch, { kernel: `${p.buildDir}/${spec.kernelImage}`, initramfs: `${GUEST_DIR}.cpio`, accel: p.accel, append: p.settings.append });
  const timeout = String(p.settings.timeoutSeconds);
  // The build's wrapper: start marker, no jobserver FIFO, no Makefile to check.
  args.push(
    ...wrapped({ startMarker }, [
      'sh',
      '-c',
      BOOT_SCRIPT,
      'kbuild-boot',
      p.workDir,
      timeout,
      p.quiet ? '1' : '',
      guestInit(p.nonce),
      p.settings.command,
      p.kselftest?.dir ?? '',
      p.kselftest?.copy.join(' ') ?? '',
      ...qemu,
    ]),
  );
  return {
    file: p.enginePath,
    args,
    name,
    startMarker,
    interactive: false,
    attachStdin: false,
    removeArgs: p.engine.removeArgs(name),
    banner: `  ${'BOOT'.padEnd(7)} ${p.image} ${spec.qemu}`,
    passFds: [],
  };
}
