// buildInvocation with a .container.toml: which image, runtime and environment
// the run gets, and that the planner's argv carries them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { parseContainerToml, type ContainerConfig } from '../../../src/parse/container-toml.js';
import { buildInvocation, type InvocationInput } from '../../../src/parse/invocation.js';
import { parseAssignment } from '../../../src/parse/makeflags.js';
import { ENGINES } from '../../../src/plan/engines/index.js';
import { planRun } from '../../../src/plan/plan-run.js';

const CWD = '/src/linux';
const FILE = `${CWD}/.container.toml`;

const TOML = `[DEFAULT]
runtime = "podman"
env_file = "default.env"

[gcc]
image = "korg-gcc:14"
runtime = "docker"
env_file = "gcc.env"
uid = 1234
`;

const ENV_FILES: Record<string, string> = {
  'default.env': 'INSTALL_MOD_STRIP=1\n',
  'gcc.env': 'LLVM=0\nKCFLAGS=-Wno-error\nCCACHE_DIR=/cache\nFROM_CALLER\nUNSET_IN_CALLER\nCONTAINER_NETWORK=host\nCONTAINER=other\n',
};

function config(text = TOML): ContainerConfig {
  const parsed = parseContainerToml(text, FILE);
  return { ...parsed, envFiles: new Map(Object.entries(ENV_FILES).map(([name, body]) => [path.join(CWD, name), { text: body }])) };
}

/** `make WORDS...` typed in CWD with `env`, the file given as read (null: there is none). */
function invocation(words: string[], env: NodeJS.ProcessEnv = {}, containerConfig: ContainerConfig | null = config()) {
  const overrides = words.map((w) => parseAssignment(w)!);
  const input: InvocationInput = {
    cwd: CWD,
    goals: ['bzImage'],
    flags: [],
    jobs: { kind: 'default' },
    overrides,
    silent: false,
    env,
    containerConfig: containerConfig ?? undefined,
  };
  return buildInvocation(input);
}

describe('buildInvocation with .container.toml', () => {
  it.each([
    ['@gcc: image and runtime from the profile', ['CONTAINER=@gcc'], {}, 'korg-gcc:14', 'docker'],
    ['an explicit image gets the DEFAULT runtime', ['CONTAINER=korg-clang'], {}, 'korg-clang', 'podman'],
    ['CONTAINER_RUNTIME on the command line beats the profile', ['CONTAINER=@gcc', 'CONTAINER_RUNTIME=podman'], {}, 'korg-gcc:14', 'podman'],
    ['CONTAINER_RUNTIME in the environment beats the profile', ['CONTAINER=@gcc'], { CONTAINER_RUNTIME: 'podman' }, 'korg-gcc:14', 'podman'],
    ['CONTAINER=@gcc from the environment selects too', [], { CONTAINER: '@gcc' }, 'korg-gcc:14', 'docker'],
  ])('%s', (_name, words, env, image, runtime) => {
    expect(invocation(words, env).container).toMatchObject({ image, runtime });
  });

  it('the profile env_file fills the environment inside, lowest precedence', () => {
    const inv = invocation(['CONTAINER=@gcc', 'KCFLAGS=-O1'], { LLVM: '1', FROM_CALLER: 'caller value', CCACHE_DIR: '/not-forwarded' });
    expect(inv.container).toMatchObject({ profile: 'gcc', envFile: `${CWD}/gcc.env`, configFile: FILE });
    expect(inv.env).toEqual({
      // LLVM passes from the caller's environment by name, so it overrides the file.
      LLVM: '1',
      // KCFLAGS is on the command line: the inner make gets it there, not twice.
      // CCACHE_DIR is not a Kbuild variable: the caller's value does not pass, the file's does.
      CCACHE_DIR: '/cache',
      // A bare name takes the caller's value, as docker and podman --env-file do; unset, it is left out.
      FROM_CALLER: 'caller value',
    });
  });

  it('our own CONTAINER* variables in an env file never reach the container', () => {
    const inv = invocation(['CONTAINER=@gcc']);
    expect(Object.keys(inv.env).filter((n) => n.startsWith('CONTAINER'))).toEqual([]);
    expect(inv.container.network).toBe('none');
  });

  it('an explicit image keeps its image and gets DEFAULT env_file', () => {
    const inv = invocation(['CONTAINER=korg-gcc']);
    expect(inv.container).toMatchObject({ image: 'korg-gcc', profile: undefined, envFile: `${CWD}/default.env` });
    expect(inv.env).toEqual({ INSTALL_MOD_STRIP: '1' });
  });

  it('uid and gid are accepted, not applied: the build runs as the caller', () => {
    const inv = invocation(['CONTAINER=@gcc']);
    const plan = planRun({
      invocation: inv,
      engine: ENGINES.docker,
      enginePath: '/usr/bin/docker',
      host: { uid: 1000, gid: 100, username: 'kb', hostname: 'h', stdinIsTTY: false, stdoutIsTTY: false },
      tree: { srctree: CWD },
      runId: 'r1',
    });
    expect(plan.args).toContain('--user=1000:100');
    expect(plan.args.join(' ')).not.toContain('1234');
  });

  it('the planner runs the profile image with the env_file variables', () => {
    const inv = invocation(['CONTAINER=@gcc']);
    const plan = planRun({
      invocation: inv,
      engine: ENGINES[inv.container.runtime as 'docker'],
      enginePath: '/usr/bin/docker',
      host: { uid: 1000, gid: 1000, username: 'kb', hostname: 'h', stdinIsTTY: false, stdoutIsTTY: false },
      tree: { srctree: CWD },
      runId: 'r1',
    });
    expect(plan.args).toEqual(expect.arrayContaining(['--env=LLVM=0', '--env=KCFLAGS=-Wno-error', '--env=CCACHE_DIR=/cache']));
    expect(plan.args[plan.args.indexOf('sh') - 1]).toBe('korg-gcc:14');
    expect(plan.banner).toBe('  DOCKER  korg-gcc:14');
    expect(plan.args).not.toContain('@gcc');
  });

  it.each([
    ['@name without a file', ['CONTAINER=@gcc'], null, 'CONTAINER=@gcc selects from .container.toml, but there is no .container.toml'],
    ['an unknown profile', ['CONTAINER=@rust'], config(), `${FILE}: no profile [rust]; available: @gcc`],
    ['@ when DEFAULT has no image', ['CONTAINER=@'], config(), `CONTAINER=@: [DEFAULT] in ${FILE} sets no image`],
  ])('%s is a user error', (_name, words, cfg, message) => {
    expect(() => invocation(words, {}, cfg)).toThrow(UserError);
    expect(() => invocation(words, {}, cfg)).toThrow(message);
  });
});

describe('buildInvocation reads .container.toml from the directory make runs in', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-inv-toml-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const input = (words: string[]): InvocationInput => ({
    cwd: dir,
    goals: [],
    flags: [],
    jobs: { kind: 'default' },
    silent: false,
    env: {},
    overrides: words.map((w) => parseAssignment(w)!),
  });

  it('with no file, an explicit image is used as typed', () => {
    expect(buildInvocation(input(['CONTAINER=korg-gcc'])).container).toEqual({ image: 'korg-gcc', args: [], network: 'none', dryRun: false, env: [] });
  });

  it('a profile and its env_file, relative to the file', () => {
    fs.writeFileSync(path.join(dir, '.container.toml'), '[gcc]\nimage = "korg-gcc-trixie"\nenv_file = "env/gcc.env"\n');
    fs.mkdirSync(path.join(dir, 'env'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'env', 'gcc.env'), 'KCONFIG_CONFIG=config.gcc\n');
    const inv = buildInvocation(input(['CONTAINER=@gcc']));
    expect(inv.container.image).toBe('korg-gcc-trixie');
    expect(inv.env).toEqual({ KCONFIG_CONFIG: 'config.gcc' });
  });

  it('a malformed file: one line naming file, line and key', () => {
    fs.writeFileSync(path.join(dir, '.container.toml'), '[gcc]\nimage = "korg-gcc"\nnetwork = "host"\n');
    const run = () => buildInvocation(input(['CONTAINER=korg-gcc']));
    expect(run).toThrow(UserError);
    expect(run).toThrow(`${dir}/.container.toml:3: unknown key 'network' in [gcc]`);
  });
});
