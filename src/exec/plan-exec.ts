// `kbuild-container exec [IMAGE] -- COMMAND [ARGS...]` decided without touching
// anything: the words split, the image chosen, the tree found, the engine argv.
// The settings, mounts and environment are a build's own (parse/, plan/); only
// what runs inside differs. Pure: the one file-system question is a parameter.
import path from 'node:path';
import { UserError } from '../errors.js';
import type { Invocation } from '../parse/invocation.js';
import type { Engine, HostFacts } from '../plan/engines/index.js';
import { containerEnv, planMounts, runArgs, wrapped, type RunPlan, type TreeFacts } from '../plan/plan-run.js';

/** How to call it, for every message about a wrong call. */
export const EXEC_USAGE = 'kbuild-container exec [IMAGE] -- COMMAND [ARGS...]';

/** Exit status of a command the image does not have: a shell's, so scripts can tell it from the command's own failures. */
export const NOT_FOUND_STATUS = 127;

/** The words typed after `exec`, split at the first `--`. */
export interface ExecWords {
  /** The image typed before `--`, if any. */
  image?: string;
  /** The command and its arguments, as typed: never parsed by a shell. */
  command: string[];
}

/** Split the words after `exec`: at most one image before `--`, a command after it. */
export function splitExecWords(words: readonly string[]): ExecWords {
  const at = words.indexOf('--');
  if (at < 0) throw new UserError(`exec: put the command after '--' (${EXEC_USAGE})`);
  const before = words.slice(0, at);
  const command = words.slice(at + 1);
  const option = before.find((w) => w.startsWith('-'));
  if (option !== undefined) throw new UserError(`exec: unknown option '${option}' (${EXEC_USAGE})`);
  if (before.length > 1) throw new UserError(`exec: one image before '--', not ${before.length} words (${before.join(' ')})`);
  if (command.length === 0 || command[0] === '') throw new UserError(`exec: no command after '--' (${EXEC_USAGE})`);
  return { image: before[0], command };
}

/** The image: the one typed, else CONTAINER, else the [DEFAULT] table of `.container.toml` (`@`), as a build reads it. */
export function chooseExecImage(typed: string | undefined, env: NodeJS.ProcessEnv, hasContainerToml: boolean): string {
  const image = typed?.trim() || env.CONTAINER?.trim();
  if (image) return image;
  if (hasContainerToml) return '@';
  throw new UserError(`exec: no image: name one (kbuild-container exec korg-gcc -- COMMAND) or set CONTAINER`);
}

// What marks the top of a kernel tree (a subdirectory such as arch/x86 also has
// Makefile, Kconfig and Kbuild, but never scripts/Makefile.build), then of a git work tree.
const TREE_MARKS: readonly (readonly string[])[] = [['Makefile', 'scripts/Makefile.build'], ['.git']];

/**
 * The directory mounted as the tree: the nearest kernel top at or above cwd,
 * else the nearest git top, else cwd itself, so that `exec -- scripts/checkpatch.pl`
 * from a subdirectory still sees the whole tree.
 */
export function findExecTree(cwd: string, exists: (file: string) => boolean): string {
  for (const marks of TREE_MARKS) {
    for (let dir = cwd; ; dir = path.dirname(dir)) {
      if (marks.every((m) => exists(path.join(dir, m)))) return dir;
      if (dir === path.dirname(dir)) break;
    }
  }
  return cwd;
}

// Runs inside, in place of make: a command the image lacks is one line naming
// it and the image (not the engine's or a shell's text), so is a script whose
// interpreter the image lacks (kunit.py without python3: `#!/usr/bin/env python3`,
// options of env skipped); anything else becomes the command itself (exec: no
// shell stays between it and its signals).
export const EXEC_SCRIPT = [
  'i=$1; shift',
  `command -v "$1" >/dev/null 2>&1 || { printf "kbuild-container: exec: '%s' not found in image '%s'\\n" "$1" "$i" >&2; exit ${NOT_FOUND_STATUS}; }`,
  'n() { [ "${1##*/}" != env ] || shift; while [ "${1#-}" != "$1" ]; do shift; done; printf %s "$1"; }',
  'l=; case $1 in */*) [ -f "$1" ] && [ -r "$1" ] && IFS= read -r l <"$1"; esac',
  'case $l in "#!"*) set -f; p=$(n ${l#??}); set +f',
  `  [ -z "$p" ] || command -v "$p" >/dev/null 2>&1 || { printf "kbuild-container: exec: '%s' needs '%s', not found in image '%s'\\n" "$1" "$p" "$i" >&2; exit ${NOT_FOUND_STATUS}; }; esac`,
  'exec "$@"',
].join('\n');

/** A tool's options that name a directory it writes, and what a relative one is relative to. */
export interface OutputOption {
  /** The command's file name (after an interpreter such as python3, if typed). */
  tool: string;
  /** `--opt=DIR` and `--opt DIR` spellings; the last one wins, as with argparse. */
  options: readonly string[];
  /** cwd, or the kernel tree the script lives in (kunit.py chdirs to tools/testing/kunit/../../..). */
  relativeTo: 'cwd' | 'script-tree';
  /** The directory the tool writes when no option names one, for the subcommands that write it. */
  byDefault?: { dir: string; subcommands: readonly string[] };
}

/** The commands whose output directories exec mounts read-write: data, one row per tool. */
export const OUTPUT_OPTIONS: readonly OutputOption[] = [
  // `kunit.py run` alone writes .kunit in the tree: mounted read-write even when the tree is read-only (KBUILD_OUTPUT set).
  { tool: 'kunit.py', options: ['--build_dir'], relativeTo: 'script-tree', byDefault: { dir: '.kunit', subcommands: ['run', 'build', 'config', 'exec'] } },
];

/** What a path is on the host, as the caller's file-system question answers it. */
export type PathKind = 'directory' | 'file' | 'missing';

/** The directories a command writes: all mounted read-write, the missing ones created by the caller first. */
export interface ExecOutputs {
  dirs: string[];
  missing: string[];
}

const INTERPRETER = /^python(\d+(\.\d+)*)?$/;

/**
 * The output directories `command` names by the options of OUTPUT_OPTIONS, as
 * absolute paths; an existing non-directory, or a path no engine can mount, is
 * one UserError naming it (nothing is created or started).
 */
export function execOutputDirs(command: readonly string[], cwd: string, kindOf: (file: string) => PathKind): ExecOutputs {
  const at = INTERPRETER.test(path.basename(command[0] ?? '')) ? 1 : 0;
  const script = command[at] ?? '';
  const row = OUTPUT_OPTIONS.find((o) => o.tool === path.basename(script));
  if (!row) return { dirs: [], missing: [] };
  // A script found on PATH (no slash) has no tree we know of: cwd.
  const base = row.relativeTo === 'script-tree' && script.includes('/') ? path.resolve(cwd, script, '../../../..') : cwd;
  const typed: { option: string; value: string }[] = [];
  const args = command.slice(at + 1);
  args.forEach((word, i) => {
    for (const option of row.options) {
      if (word.startsWith(`${option}=`)) typed.push({ option, value: word.slice(option.length + 1) });
      else if (word === option && args[i + 1] !== undefined) typed.push({ option, value: args[i + 1]! });
    }
  });
  const subcommand = args.find((w) => !w.startsWith('-'));
  const fallback = row.byDefault && subcommand !== undefined && row.byDefault.subcommands.includes(subcommand) ? row.byDefault.dir : undefined;
  const last = typed.at(-1) ?? (fallback !== undefined ? { option: row.options[0]!, value: fallback } : undefined);
  if (!last || last.value === '') return { dirs: [], missing: [] };
  const dir = path.resolve(base, last.value);
  if (/[:,]/.test(dir)) throw new UserError(`exec: ${last.option}=${last.value}: a path with ':' or ',' cannot be mounted into a container`);
  const kind = kindOf(dir);
  if (kind === 'file') throw new UserError(`exec: ${last.option}=${last.value}: ${dir} exists and is not a directory`);
  return { dirs: [dir], missing: kind === 'missing' ? [dir] : [] };
}

export interface ExecPlanInput {
  /** A build's settings for this call (no goals): image, runtime, CONTAINER_ARGS, network, environment, cwd. */
  invocation: Invocation;
  command: readonly string[];
  engine: Engine;
  enginePath: string;
  host: HostFacts;
  tree: TreeFacts;
  runId: string;
  /** The caller's TERM, handed in with a terminal so a shell inside knows it. */
  term?: string;
  /** The tree's Makefile when the host sees one: the wrapper checks the container sees it too (see WRAPPER_SCRIPT). */
  makefile?: string;
  /** Directories the command writes (execOutputDirs), mounted read-write. */
  outputDirs?: readonly string[];
}

/** The engine command line that runs `command` in the image, with a build's mounts, user and environment. */
export function planExec({ invocation: inv, command, engine, enginePath, host, tree, runId, term, makefile = '', outputDirs = [] }: ExecPlanInput): RunPlan {
  const name = `kbuild-exec-${runId}`;
  const image = inv.container.image;
  // A terminal on both sides: the command gets one (`exec -- bash`). A terminal
  // on stdin alone is not read, as in a build: a job in the background must not stop on SIGTTIN.
  const interactive = host.stdinIsTTY && host.stdoutIsTTY;
  const attachStdin = interactive || !host.stdinIsTTY;
  const startMarker = interactive ? '' : `kbuild-container-started-${runId}`;

  const env = containerEnv(inv, host);
  if (interactive && term && !('TERM' in env)) env.TERM = term;
  const args = runArgs({ inv, engine, host, name, runId, attachStdin, interactive, fds: [], env, mounts: planMounts(inv, tree, outputDirs) });
  const run = ['sh', '-c', EXEC_SCRIPT, 'kbuild-container-exec', image, ...command];
  // Without a terminal, the build's wrapper (start marker, signals to every
  // process, stdin kept, the tree's Makefile checked; no jobserver FIFO). With one,
  // the command is the terminal's foreground: Ctrl-C is its own, as in a shell.
  if (interactive) args.push(...run);
  else args.push(...wrapped({ startMarker, makefile }, run));

  return {
    file: enginePath,
    args,
    name,
    startMarker,
    interactive,
    attachStdin,
    removeArgs: engine.removeArgs(name),
    banner: `  ${'EXEC'.padEnd(7)} ${image} ${command[0]}`,
    passFds: [],
  };
}
