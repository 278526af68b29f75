// invocation + engine → the exact runtime argv. Pure: no processes, no files.
import path from 'node:path';
import { assignmentWord } from '../parse/makeflags.js';
import type { Invocation } from '../parse/invocation.js';
import { INTERACTIVE_GOALS } from '../parse/kbuild-variables.js';
import type { Engine, HostFacts } from './engines/index.js';
import { FIFO_FD, describeJobserver, jobWords, planJobserver } from './jobserver.js';
import { redirectedOutputs, sphinxCheck } from './docs.js';

/** Where the kernel tree is, as found on disk by the CLI before planning. */
export interface TreeFacts {
  /** The kernel source tree (the directory holding the top-level Makefile). */
  srctree: string;
  /** Set when make runs inside an output directory (`make -C O M=...`). */
  objtree?: string;
  /** Those of IN_TREE_OUTPUTS' directories (src/plan/docs.ts) this tree has, found on disk by findTree. */
  inTreeOutputs?: string[];
}

export interface Mount {
  path: string;
  readOnly: boolean;
  /** The host directory mounted at `path` when it is another one. */
  source?: string;
}

export interface RunPlan {
  file: string;
  args: string[];
  /** Unique container name of this run; also its label value. */
  name: string;
  /** The line the container's wrapper prints on stderr once it runs (empty with a TTY). */
  startMarker: string;
  interactive: boolean;
  /** Whether the engine client reads the caller's stdin (-i). */
  attachStdin: boolean;
  /** `ENGINE ...` that removes this run's container. */
  removeArgs: string[];
  /** The Kbuild-style line naming engine and image. */
  banner: string;
  /** Host descriptors handed to the client as 3, 4, ... (a jobserver pipe). */
  passFds: number[];
  /** How the job pool is shared, for V=1. */
  jobserverNote?: string;
}

export interface PlanInput {
  invocation: Invocation;
  engine: Engine;
  enginePath: string;
  host: HostFacts;
  tree: TreeFacts;
  runId: string;
  /** The tree's Makefile when the host sees one: the wrapper checks the container sees it too. */
  makefile?: string;
}

/** The label every container of ours carries, so stale ones can be found. */
export const RUN_LABEL = 'io.kbuild-container.run';

/** One line for the wrapper to print ($t is the Makefile's path); the fix is Podman's, the usual case. */
const MISSING_MAKEFILE =
  "kbuild-container: $t exists on the host but not inside the container: the tree was mounted after the engine's namespace started " +
  "(rootless Podman, a host / that is not a shared mount); run 'podman system migrate' and build again";

// Runs inside the container under the engine's init. It keeps the caller's
// stdin, announces that the container started (so engine errors before it can
// be told from build output), and turns a forwarded signal into what a terminal
// would do: every process of the build gets it at once, so make deletes its
// half-written targets instead of waiting for compilers. SIGTERM, not SIGINT:
// a non-interactive shell starts background jobs with SIGINT ignored.
// A jobserver FIFO, when given, is opened read-write on descriptor 8.
// The tree's Makefile, when given, must be visible: rootless Podman keeps one
// long-lived mount namespace, and where the host's / is not a shared mount a
// tree mounted after it started (an overlay, a USB disk, an automount) is an
// empty directory inside, and make would only say "No rule to make target".
export const WRAPPER_SCRIPT = [
  'm=$1; j=$2; t=$3; shift 3',
  'trap \'trap "" INT TERM HUP; kill -s TERM -- -1 2>/dev/null\' INT TERM HUP',
  '[ -z "$m" ] || printf \'%s\\n\' "$m" >&2',
  `[ -z "$t" ] || [ -e "$t" ] || { printf '%s\\n' "${MISSING_MAKEFILE}" >&2; exit 2; }`,
  `[ -z "$j" ] || exec ${FIFO_FD}<>"$j"`,
  'exec 9<&0',
  '"$@" <&9 9<&- &',
  'p=$!',
  'exec 9<&-',
  'while :; do wait "$p"; s=$?; kill -0 "$p" 2>/dev/null || exit "$s"; done',
].join('\n');

/** Turn an invocation into the engine command line that runs it in a container. */
export function planRun({ invocation: inv, engine, enginePath, host, tree, runId, makefile = '' }: PlanInput): RunPlan {
  const name = `kbuild-${runId}`;
  const interactive = host.stdinIsTTY && host.stdoutIsTTY && inv.goals.some((g) => INTERACTIVE_GOALS.has(g));
  // A terminal on stdin is only read by interactive goals: a build in the
  // background must not stop on SIGTTIN. Pipes and files always reach make.
  const attachStdin = interactive || !host.stdinIsTTY;
  const startMarker = interactive ? '' : `kbuild-container-started-${runId}`;
  const jobserver = planJobserver(inv, engine);
  const mounts = planMounts(inv, tree);

  const fds = jobserver.mode === 'fds' ? [`--preserve-fds=${jobserver.hostFds.length}`] : [];
  const args = runArgs({ inv, engine, host, name, runId, attachStdin, interactive, fds, env: containerEnv(inv, host), mounts });
  const fifo = jobserver.mode === 'fifo' ? jobserver.path : '';
  args.push(...wrapped({ startMarker, fifo, makefile }, [...sphinxCheck(inv), ...innerMake(inv, jobWords(inv, jobserver))]));

  return {
    file: enginePath,
    args,
    name,
    startMarker,
    interactive,
    attachStdin,
    removeArgs: engine.removeArgs(name),
    banner: `  ${engine.name.toUpperCase().padEnd(7)} ${inv.container.image}`,
    passFds: jobserver.mode === 'fds' ? jobserver.hostFds : [],
    jobserverNote: describeJobserver(jobserver, engine),
  };
}

/** One container run of ours, whatever runs in it (a build, exec, a boot): the engine words up to the image. */
export interface ContainerRunInput {
  engine: Engine;
  host: HostFacts;
  name: string;
  runId: string;
  network: string;
  /** The host's name inside (a build's `uname -n`); none when unset. */
  hostname?: string;
  attachStdin: boolean;
  interactive: boolean;
  /** Engine words after the user words: handed-in descriptors (`--preserve-fds`), devices. */
  extra: string[];
  env: Record<string, string>;
  mounts: Mount[];
  workdir: string;
  /** CONTAINER_ARGS, just before the image. */
  engineArgs: string[];
  image: string;
}

/** `run ... IMAGE`: our name and label, no pull, the network, stdin and terminal, the caller's user, the environment, the same paths. */
export function containerRunArgs(r: ContainerRunInput): string[] {
  const args = ['run', '--rm', '--init', `--name=${r.name}`, `--label=${RUN_LABEL}=${r.runId}`, ...r.engine.noPullArgs, `--network=${r.network}`];
  if (r.hostname !== undefined) args.push(`--hostname=${r.hostname}`);
  if (r.attachStdin) args.push('--interactive');
  if (r.interactive) args.push('--tty');
  args.push(...r.engine.userArgs(r.host), ...r.extra);
  for (const [key, value] of Object.entries(r.env)) args.push(`--env=${key}=${value}`);
  for (const m of r.mounts) args.push(`--volume=${m.source ?? m.path}:${m.path}:${m.readOnly ? 'ro' : 'rw'}`);
  args.push(`--workdir=${r.workdir}`, ...r.engineArgs, r.image);
  return args;
}

export interface RunArgsInput {
  inv: Invocation;
  engine: Engine;
  host: HostFacts;
  name: string;
  runId: string;
  attachStdin: boolean;
  interactive: boolean;
  /** Descriptors handed in (`--preserve-fds`), after the user words. */
  fds: string[];
  env: Record<string, string>;
  mounts: Mount[];
}

/** A run at a build's settings (a build, exec): network, host name, cwd, CONTAINER_ARGS and image from the invocation. */
export function runArgs({ inv, fds, ...rest }: RunArgsInput): string[] {
  const network = inv.container.network;
  // The same host name as outside, so `uname -n` (and the kernel's version string) match a native build.
  const hostname = network !== 'host' ? rest.host.hostname : undefined;
  return containerRunArgs({ ...rest, network, hostname, extra: fds, workdir: inv.cwd, engineArgs: inv.container.args, image: inv.container.image });
}

/** `sh -c WRAPPER_SCRIPT` and its arguments in their order (start marker, jobserver FIFO, Makefile to check: '' for none), then the command. */
export function wrapped(w: { startMarker: string; fifo?: string; makefile?: string }, command: string[]): string[] {
  return ['sh', '-c', WRAPPER_SCRIPT, 'kbuild-container', w.startMarker, w.fifo ?? '', w.makefile ?? '', ...command];
}

/** The make command line inside the container: flags, -j, variables as typed, goals in order. */
export function innerMake(inv: Invocation, jobs: string[] = jobWords(inv, { mode: 'own' })): string[] {
  const words = ['make', ...inv.flags, ...jobs];
  words.push(...inv.overrides.map(assignmentWord), ...inv.goals);
  return words;
}

/** The environment inside: Kbuild's variables as set outside, a writable HOME, the caller's name. */
export function containerEnv(inv: Invocation, host: HostFacts): Record<string, string> {
  const env: Record<string, string> = { HOME: '/tmp', ...inv.env };
  const typed = new Set(inv.overrides.map((o) => o.name));
  // Docker has no passwd entry for --user, so whoami would fail where Kbuild stamps the version.
  if (!('KBUILD_BUILD_USER' in env) && !typed.has('KBUILD_BUILD_USER')) env.KBUILD_BUILD_USER = host.username;
  return env;
}

/**
 * Bind mounts at the same paths as on the host; the source is read-only when the output is elsewhere.
 * `written`: more directories the command writes (exec's output options), mounted read-write.
 */
export function planMounts(inv: Invocation, tree: TreeFacts, written: readonly string[] = []): Mount[] {
  const outputs = [inv.outputDir, tree.objtree].filter((p): p is string => p !== undefined);
  // deb packages land beside the output directory, in its parent (dpkg-buildpackage's `..`):
  // without that parent mounted they would be written inside the container and lost with it.
  const packages = inv.goals.some((g) => PARENT_WRITING_GOALS.includes(g)) ? path.dirname(outputs[0] ?? tree.srctree) : undefined;
  const sourceReadOnly = outputs.length > 0 && outputs.every((o) => o !== tree.srctree) && packages !== tree.srctree;
  if (packages !== undefined) outputs.push(packages);
  const wanted: Mount[] = [
    { path: tree.srctree, readOnly: sourceReadOnly },
    ...outputs.map((p) => ({ path: p, readOnly: false })),
    ...[inv.extModDir, ...inv.installDirs, ...written].filter((p): p is string => p !== undefined).map((p) => ({ path: p, readOnly: false })),
  ];
  if (!wanted.some((m) => isInside(inv.cwd, m.path))) wanted.push({ path: inv.cwd, readOnly: false });
  // A config fragment outside the tree (KCONFIG_ALLCONFIG=/path allnoconfig, as `boot-config` prints) is read there.
  const allconfig = inv.overrides.find((o) => o.name === 'KCONFIG_ALLCONFIG')?.value ?? inv.env.KCONFIG_ALLCONFIG;
  if (allconfig && path.isAbsolute(allconfig) && !wanted.some((m) => isInside(allconfig, m.path))) wanted.push({ path: allconfig, readOnly: true });
  if (inv.jobserver?.style === 'fifo') wanted.push({ path: inv.jobserver.path, readOnly: false });
  if (sourceReadOnly) wanted.push(...redirectedOutputs(inv, tree));

  // Parents first; drop a mount that a parent with the same mode already covers,
  // and a read-only one of a path also written (the source itself as exec's output).
  wanted.sort((a, b) => a.path.length - b.path.length || Number(a.readOnly) - Number(b.readOnly));
  const mounts: Mount[] = [];
  for (const m of wanted) {
    const parent = [...mounts].reverse().find((p) => isInside(m.path, p.path));
    if (parent && (parent.readOnly === m.readOnly || parent.path === m.path) && m.source === undefined) continue;
    mounts.push(m);
  }
  return mounts;
}

/** Goals whose results Kbuild writes into the parent of the output directory (the .deb files and the orig tarball). */
export const PARENT_WRITING_GOALS: readonly string[] = ['deb-pkg', 'bindeb-pkg', 'srcdeb-pkg'];

/** True when `child` is `parent` or below it. */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel));
}
