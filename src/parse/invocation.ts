// Everything the planner needs to know about one `make CONTAINER=...` call,
// gathered from make's command line and the caller's environment.
import path from 'node:path';
import { parse as parseWords } from 'shell-quote';
import { UserError } from '../errors.js';
import type { Jobs, Jobserver, Override } from './makeflags.js';
import { INSTALL_DIR_VARIABLES, KBUILD_ENV_NAMES, KBUILD_ENV_PREFIXES, isContainerVariable } from './kbuild-variables.js';
import { applyContainerConfig, loadContainerConfig, type ContainerConfig, type ContainerTomlSettings } from './container-toml.js';

export interface ContainerSettings extends ContainerTomlSettings {
  /** CONTAINER: the image reference, or the image of the .container.toml profile `@name` selects. */
  image: string;
  /** CONTAINER_RUNTIME, else the file's runtime, when given. */
  runtime?: string;
  /** CONTAINER_ARGS, split into words. */
  args: string[];
  /** CONTAINER_NETWORK: the engine's --network value. */
  network: string;
  /** CONTAINER_DRYRUN: print the command instead of running it. */
  dryRun: boolean;
}

/** What make itself says about the call: where, which goals, options and variables. */
export interface MakeView {
  /** Where make runs (after every -C): the same path inside the container. */
  cwd: string;
  goals: string[];
  flags: string[];
  jobs: Jobs;
  jobserver?: Jobserver;
  /** Command-line variables as typed (in an Invocation, minus the CONTAINER* ones). */
  overrides: Override[];
  silent: boolean;
}

export interface Invocation extends MakeView {
  verbose: boolean;
  container: ContainerSettings;
  /** O= (command line) or KBUILD_OUTPUT, absolute. */
  outputDir?: string;
  /** M= (command line) or KBUILD_EXTMOD, absolute. */
  extModDir?: string;
  /** INSTALL_*PATH destinations the build writes to, absolute. */
  installDirs: string[];
  /** Environment variables that pass by name into the container. */
  env: Record<string, string>;
}

export interface InvocationInput extends MakeView {
  env: NodeJS.ProcessEnv;
  /** The `.container.toml` of cwd, already read; when the key is absent it is read from cwd here. */
  containerConfig?: ContainerConfig | undefined;
}

/** Combine make's view (options, variables, goals) with the environment into an invocation. */
export function buildInvocation(input: InvocationInput): Invocation {
  const cmdline = new Map(input.overrides.map((o) => [o.name, o.value]));
  // Kbuild reads O and M only from the command line; the rest also from the environment.
  const setting = (name: string): string | undefined => cmdline.get(name) ?? input.env[name];

  const image = setting('CONTAINER')?.trim();
  if (!image) throw new UserError('CONTAINER is not set: say which image to build in, e.g. make CONTAINER=korg-gcc');

  // Command line and environment first; .container.toml fills in what they leave open.
  const config = 'containerConfig' in input ? input.containerConfig : loadContainerConfig(input.cwd);
  const container: ContainerSettings = applyContainerConfig(
    {
      image,
      runtime: setting('CONTAINER_RUNTIME')?.trim() || undefined,
      args: splitContainerArgs(setting('CONTAINER_ARGS') ?? ''),
      network: setting('CONTAINER_NETWORK')?.trim() || 'none',
      dryRun: isTrue(setting('CONTAINER_DRYRUN')),
    },
    config,
  );

  const overrides = input.overrides.filter((o) => !isContainerVariable(o.name));
  const resolve = (p: string | undefined) => (p ? path.resolve(input.cwd, p) : undefined);

  const outputDir = resolve(cmdline.get('O') ?? cmdline.get('KBUILD_OUTPUT') ?? input.env.KBUILD_OUTPUT);
  const extModDir = resolve(cmdline.get('M') ?? cmdline.get('KBUILD_EXTMOD') ?? input.env.KBUILD_EXTMOD);
  const installDirs = INSTALL_DIR_VARIABLES.map((name) => resolve(setting(name))).filter((p): p is string => p !== undefined);

  const extraNames = (setting('CONTAINER_ENV') ?? '').split(/\s+/).filter(Boolean);
  for (const name of extraNames) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UserError(`CONTAINER_ENV: '${name}' is not a variable name`);
  }
  // The env_file's assignments are the lowest layer: what passes from the caller's environment overrides them.
  const env: Record<string, string> = {};
  for (const { name, value } of container.env) {
    const resolved = value ?? input.env[name];
    if (resolved !== undefined && !cmdline.has(name) && !isContainerVariable(name)) env[name] = resolved;
  }
  for (const [name, value] of Object.entries(input.env)) {
    if (value === undefined || cmdline.has(name)) continue;
    const wanted = KBUILD_ENV_NAMES.has(name) || KBUILD_ENV_PREFIXES.some((p) => name.startsWith(p)) || extraNames.includes(name);
    if (wanted && !isContainerVariable(name)) env[name] = value;
  }

  const verbose = /^[1-9]/.test(cmdline.get('V') ?? '') || /^[1-9]/.test(input.env.KBUILD_VERBOSE ?? '');
  return {
    cwd: input.cwd,
    goals: input.goals,
    flags: input.flags,
    jobs: input.jobs,
    jobserver: input.jobserver,
    overrides,
    silent: input.silent,
    verbose,
    container,
    outputDir,
    extModDir,
    installDirs,
    env,
  };
}

/** Split CONTAINER_ARGS into words the way a shell would, but refuse anything a shell would run. */
export function splitContainerArgs(text: string): string[] {
  const words = parseWords(text, (name: string) => '$' + name);
  return words.map((w) => {
    if (typeof w === 'string') return w;
    const what = 'op' in w ? (w.op === 'glob' ? `pattern '${(w as { pattern: string }).pattern}'` : `operator '${w.op}'`) : 'comment';
    throw new UserError(`CONTAINER_ARGS: ${what} is not allowed; give plain words only`);
  });
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|y|yes|true|on)$/i.test(value.trim());
}
