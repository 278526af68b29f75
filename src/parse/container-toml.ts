// The kernel's own scripts/container reads `.container.toml` from the directory
// it runs in: a [DEFAULT] table and named profile tables, TOML, with keys named
// after its command-line options. We honour the same file and keys so one file
// serves both tools; `CONTAINER=@name` picks a profile, `CONTAINER=@` [DEFAULT].
// Everything here is pure except the two small readers at the bottom.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml, TomlDate, TomlError, type TomlValueWithoutBigInt as TomlValue } from 'smol-toml';
import { UserError } from '../errors.js';
import { locateKey } from './toml-lines.js';

/** The file's name, looked for in the directory make runs in (as upstream does in its cwd). */
export const CONTAINER_TOML = '.container.toml';

/** The table every profile is merged over. */
export const DEFAULT_SECTION = 'DEFAULT';

/** What `CONTAINER=` starts with to select from the file instead of naming an image. */
export const PROFILE_PREFIX = '@';

/** Runtimes upstream accepts for `runtime` (its `-r` choices). */
export const CONTAINER_TOML_RUNTIMES = ['podman', 'docker'] as const;
export type ContainerTomlRuntime = (typeof CONTAINER_TOML_RUNTIMES)[number];

/** One table of the file (DEFAULT or a profile), typed, paths as written: the only section type. */
export interface ContainerTomlSection {
  /** `-i`: the image reference. */
  image?: string;
  /** `-r`: podman or docker. */
  runtime?: ContainerTomlRuntime;
  /** `-e`: an env file, relative to the file's directory unless absolute. */
  envFile?: string;
  /** 1-based line of each key as written, for later messages (env_file that cannot be read). */
  lines: Partial<Record<ContainerTomlKey, number>>;
}

/** A parsed, validated `.container.toml`, plus the env files it names as read at load time. */
export interface ContainerConfig {
  /** Absolute path of the file. */
  file: string;
  defaults: ContainerTomlSection;
  /** Named profiles in file order; DEFAULT is not among them. */
  profiles: ReadonlyMap<string, ContainerTomlSection>;
  /** Each env file the sections name, by absolute path: its text, or why it could not be read. */
  envFiles: ReadonlyMap<string, EnvFileContent>;
}

/** An env file as found at load time: its text, why it could not be read, or where it really is when that is outside the tree (not read). */
export type EnvFileContent = { text: string } | { error: string } | { outside: string };

/** One line of an env file: `NAME=value`, or `NAME` alone (value taken from the caller's environment). */
export interface EnvAssignment {
  name: string;
  /** Verbatim after the first `=` (no quote removal, as docker and podman do); undefined for `NAME` alone. */
  value: string | undefined;
}

/** What the file adds to the settings make gave; merged by applyContainerConfig. */
export interface ContainerTomlSettings {
  /** The `.container.toml` used, when there was one. */
  configFile?: string;
  /** The profile applied (`CONTAINER=@name`), undefined for DEFAULT only or no file. */
  profile?: string;
  /** Absolute path of the env file applied, when one is. */
  envFile?: string;
  /** Assignments for the container, lowest precedence: make's own variables override them. */
  env: EnvAssignment[];
}

/** A profile merged over DEFAULT: the settings, plus the image and runtime the sections name. */
export type ResolvedContainerProfile = ContainerTomlSettings & Pick<ContainerTomlSection, 'image' | 'runtime'>;

type ContainerTomlKey = 'image' | 'runtime' | 'env_file' | 'uid' | 'gid' | 'shell' | 'verbose';

// One entry per key upstream reads from a section: validation and the field it fills.
const KEYS: Readonly<Record<ContainerTomlKey, (value: TomlValue, fail: (what: string) => never) => Partial<ContainerTomlSection>>> = {
  image: (v, fail) => ({ image: imageValue(v, fail) }),
  runtime: (v, fail) => ({ runtime: runtimeValue(v, fail) }),
  env_file: (v, fail) => ({ envFile: nonEmptyString(v, fail) }),
  // Checked so a shared file stays valid for upstream, then dropped: the build
  // always runs as the caller (`-u`, `-g`), make decides about a terminal (`-s`),
  // and upstream's own logging (`-v`) means nothing here. See the README's table.
  uid: (v, fail) => (idValue(v, fail), {}),
  gid: (v, fail) => (idValue(v, fail), {}),
  shell: (v, fail) => (booleanValue(v, fail), {}),
  verbose: (v, fail) => (booleanValue(v, fail), {}),
};

/** Parse and validate the text of a `.container.toml`; env files are not read here (envFiles is empty). */
export function parseContainerToml(text: string, file: string): ContainerConfig {
  let doc: Record<string, TomlValue>;
  try {
    doc = parseToml(text, { integersAsBigInt: false });
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const what = err.message.split('\n')[0].replace(/^Invalid TOML document:\s*/, '');
    throw new UserError(`${file}:${err.line}:${err.column}: malformed TOML: ${what}`);
  }

  let defaults: ContainerTomlSection = { lines: {} };
  const profiles = new Map<string, ContainerTomlSection>();
  for (const [name, value] of Object.entries(doc)) {
    if (!isTable(value)) {
      const line = locateKey(text, [], name);
      throw new UserError(`${at(file, line)}: '${name}' is outside any table; put it under [${DEFAULT_SECTION}] or a [profile]`);
    }
    const section = parseSection(value, name, text, file);
    if (name === DEFAULT_SECTION) defaults = section;
    else profiles.set(name, section);
  }
  return { file, defaults, profiles, envFiles: new Map() };
}

/** Merge a profile over DEFAULT (undefined: DEFAULT alone) and parse the env file that applies. */
export function resolveProfile(config: ContainerConfig, profileName: string | undefined): ResolvedContainerProfile {
  let profile: ContainerTomlSection | undefined;
  if (profileName !== undefined) {
    profile = config.profiles.get(profileName);
    if (!profile) throw unknownProfile(config, profileName);
  }
  const pick = <K extends keyof ContainerTomlSection>(key: K): ContainerTomlSection[K] => profile?.[key] ?? config.defaults[key];

  const resolved: ResolvedContainerProfile = {
    profile: profileName,
    configFile: config.file,
    image: pick('image'),
    runtime: pick('runtime'),
    env: [],
  };

  const owner = profile?.envFile !== undefined ? profile : config.defaults;
  if (owner.envFile !== undefined) {
    const envFile = path.resolve(path.dirname(config.file), owner.envFile);
    const content = config.envFiles.get(envFile) ?? { error: 'not read' };
    const where = at(config.file, owner.lines.env_file);
    if ('error' in content) throw new UserError(`${where}: env_file '${owner.envFile}' cannot be read: ${content.error}`);
    if ('outside' in content) {
      throw new UserError(
        `${where}: env_file '${owner.envFile}' is ${content.outside}, outside the tree; only files under ${path.dirname(config.file)} are read`,
      );
    }
    resolved.envFile = envFile;
    resolved.env = parseEnvFile(content.text, envFile);
  }
  return resolved;
}

/**
 * Fold the file into the settings make gave. `CONTAINER=@name` takes image and
 * settings from profile `name`, `CONTAINER=@` from [DEFAULT]; an explicit image
 * keeps its image, but DEFAULT's other settings still apply. CONTAINER_RUNTIME
 * (settings.runtime) beats the file's runtime: command line > profile > DEFAULT.
 */
export function applyContainerConfig<S extends { image: string; runtime?: string }>(
  settings: S,
  config: ContainerConfig | undefined,
): S & ContainerTomlSettings {
  const selector = settings.image.startsWith(PROFILE_PREFIX) ? settings.image.slice(PROFILE_PREFIX.length) : undefined;
  if (!config) {
    if (selector === undefined) return { ...settings, env: [] };
    throw new UserError(`CONTAINER=${settings.image} selects from ${CONTAINER_TOML}, but there is no ${CONTAINER_TOML} in the directory make runs in`);
  }

  const profileName = selector === undefined || selector === '' ? undefined : selector;
  const resolved = resolveProfile(config, profileName);
  let image = settings.image;
  if (selector !== undefined) {
    if (!resolved.image) {
      const where = profileName === undefined ? `[${DEFAULT_SECTION}]` : `profile [${profileName}] (nor [${DEFAULT_SECTION}])`;
      throw new UserError(`CONTAINER=${settings.image}: ${where} in ${config.file} sets no image`);
    }
    image = resolved.image;
  }

  return {
    ...settings,
    image,
    runtime: settings.runtime ?? resolved.runtime,
    configFile: config.file,
    profile: profileName,
    envFile: resolved.envFile,
    env: resolved.env,
  };
}

/** With V=1, the line saying which file, profile and env file the settings came from. */
export function describeContainerConfig(settings: ContainerTomlSettings): string | undefined {
  if (settings.configFile === undefined) return undefined;
  const profile = settings.profile === undefined ? `[${DEFAULT_SECTION}]` : `profile [${settings.profile}] over [${DEFAULT_SECTION}]`;
  const envFile = settings.envFile === undefined ? '' : `, env_file ${settings.envFile}`;
  return `kbuild-container: settings from ${settings.configFile}: ${profile}${envFile}`;
}

/** Parse an env file the way docker and podman read `--env-file`: `NAME=value` lines, `#` comments, blanks. */
export function parseEnvFile(text: string, file: string): EnvAssignment[] {
  const assignments: EnvAssignment[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line.trimEnd() : line.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UserError(`${file}:${index + 1}: '${name}' is not a variable name; env file lines are NAME=value, NAME, or # comments`);
    }
    assignments.push({ name, value: eq < 0 ? undefined : line.slice(eq + 1) });
  });
  return assignments;
}

// --- the only I/O: reading the file and the env files it names ---

/** Read `.container.toml` from dir: undefined when there is none, else parsed, validated, with its env files read. */
export function loadContainerConfig(dir: string): ContainerConfig | undefined {
  const file = path.resolve(dir, CONTAINER_TOML);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    // Upstream silently ignores a missing default file; so do we.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`${file}: cannot read: ${(err as Error).message}`);
  }
  const config = parseContainerToml(text, file);
  return { ...config, envFiles: readEnvFiles(config) };
}

/**
 * Every env file a section names, read now so that resolving stays pure; failures are kept, not thrown.
 * The file is the tree author's, not the user's: a file outside the tree (after
 * symlinks) is never read, or its lines could end up in the build's output.
 */
function readEnvFiles(config: ContainerConfig): Map<string, EnvFileContent> {
  const dir = path.dirname(config.file);
  const files = new Map<string, EnvFileContent>();
  for (const section of [config.defaults, ...config.profiles.values()]) {
    if (section.envFile === undefined) continue;
    const envFile = path.resolve(dir, section.envFile);
    if (files.has(envFile)) continue;
    try {
      const real = fs.realpathSync(envFile);
      if (!isUnder(real, fs.realpathSync(dir))) files.set(envFile, { outside: real });
      else files.set(envFile, { text: fs.readFileSync(real, 'utf8') });
    } catch (err) {
      files.set(envFile, { error: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
    }
  }
  return files;
}

function isUnder(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel);
}

// --- validation helpers ---

function parseSection(table: Record<string, TomlValue>, name: string, text: string, file: string): ContainerTomlSection {
  const section: ContainerTomlSection = { lines: {} };
  for (const [key, value] of Object.entries(table)) {
    const line = locateKey(text, [name], key);
    if (!isKnownKey(key)) {
      throw new UserError(`${at(file, line)}: unknown key '${key}' in [${name}]; known keys: ${Object.keys(KEYS).join(', ')}`);
    }
    const fail = (what: string): never => {
      throw new UserError(`${at(file, line)}: [${name}] ${key} ${what}, not ${describe(value)}`);
    };
    Object.assign(section, KEYS[key](value, fail));
    if (line !== undefined) section.lines[key] = line;
  }
  return section;
}

function isKnownKey(key: string): key is ContainerTomlKey {
  return Object.hasOwn(KEYS, key);
}

function nonEmptyString(value: TomlValue, fail: (what: string) => never): string {
  if (typeof value !== 'string' || value.trim() === '') return fail('must be a non-empty string');
  return value;
}

function imageValue(value: TomlValue, fail: (what: string) => never): string {
  const image = nonEmptyString(value, fail);
  if (/\s/.test(image) || image.startsWith(PROFILE_PREFIX)) return fail('must be an image reference (no blanks, no leading @)');
  return image;
}

function runtimeValue(value: TomlValue, fail: (what: string) => never): ContainerTomlRuntime {
  const runtime = CONTAINER_TOML_RUNTIMES.find((r) => r === value);
  return runtime ?? fail(`must be one of ${CONTAINER_TOML_RUNTIMES.map((r) => `"${r}"`).join(', ')}`);
}

// Upstream passes uid/gid through as text, so both `1000` and `"1000"` work there.
function idValue(value: TomlValue, fail: (what: string) => never): number {
  const id = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(id) || id < 0 || id > 0xfffffffe) return fail('must be a numeric id (0 to 4294967294)');
  return id;
}

function booleanValue(value: TomlValue, fail: (what: string) => never): boolean {
  return typeof value === 'boolean' ? value : fail('must be true or false');
}

function isTable(value: TomlValue): value is Record<string, TomlValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof TomlDate);
}

function describe(value: TomlValue): string {
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `integer ${value}` : `float ${value}`;
  if (typeof value === 'boolean') return `boolean ${value}`;
  if (value instanceof TomlDate) return `date-time ${value.toISOString()}`;
  if (Array.isArray(value)) return 'an array';
  return 'a table';
}

function unknownProfile(config: ContainerConfig, name: string): UserError {
  const names = [...config.profiles.keys()];
  const available = names.length
    ? `available: ${names.map((n) => PROFILE_PREFIX + n).join(', ')} (and ${PROFILE_PREFIX} for [${DEFAULT_SECTION}])`
    : `it has only [${DEFAULT_SECTION}], selected by ${PROFILE_PREFIX}`;
  return new UserError(`${config.file}: no profile [${name}]; ${available}`);
}

function at(file: string, line: number | undefined): string {
  return line === undefined ? file : `${file}:${line}`;
}
