import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { buildInvocation, splitContainerArgs, type InvocationInput } from '../../../src/parse/invocation.js';
import { parseAssignment } from '../../../src/parse/makeflags.js';

const CWD = '/src/linux';

/** An invocation from `make WORDS...` typed in CWD with `env` (CONTAINER=korg-gcc unless given). */
function invocation(words: string[], env: NodeJS.ProcessEnv = {}) {
  const overrides = words.map((w) => parseAssignment(w)!);
  const input: InvocationInput = { cwd: CWD, goals: [], flags: [], jobs: { kind: 'default' }, overrides, silent: false, env };
  if (!words.some((w) => w.startsWith('CONTAINER=')) && !('CONTAINER' in env)) overrides.unshift(parseAssignment('CONTAINER=korg-gcc')!);
  return buildInvocation(input);
}

describe('buildInvocation', () => {
  it('drops every CONTAINER* variable from the overrides and keeps the rest in order', () => {
    const inv = invocation([
      'V=1',
      'CONTAINER=korg-gcc:14',
      'KBUILD_CONTAINER_RUNNER=/opt/kbc',
      'CONTAINER_RUNTIME=docker',
      'CONTAINER_ARGS=--cpus 2',
      'O=out',
      'CONTAINER_ENV=FOO',
      'CONTAINER_NETWORK=host',
      'CONTAINER_DRYRUN=1',
      'W=1',
    ]);
    expect(inv.overrides.map((o) => o.name)).toEqual(['V', 'O', 'W']);
    expect(inv.container).toEqual({ image: 'korg-gcc:14', runtime: 'docker', args: ['--cpus', '2'], network: 'host', dryRun: true, env: [] });
  });

  it('reads the CONTAINER* settings from the environment too, the command line winning', () => {
    const inv = invocation(['CONTAINER=cmdline'], { CONTAINER: 'env', CONTAINER_RUNTIME: 'podman', CONTAINER_NETWORK: 'slirp4netns' });
    expect(inv.container).toMatchObject({ image: 'cmdline', runtime: 'podman', network: 'slirp4netns' });
  });

  it.each([
    ['', {}],
    ['   ', {}],
  ])('CONTAINER=%j is a user error', (value, env) => {
    expect(() => invocation([`CONTAINER=${value}`], env)).toThrow(UserError);
  });

  it('no CONTAINER at all is a user error naming the variable', () => {
    const input: InvocationInput = { cwd: CWD, goals: [], flags: [], jobs: { kind: 'default' }, overrides: [], silent: false, env: { ARCH: 'arm64' } };
    expect(() => buildInvocation(input)).toThrow(UserError);
    expect(() => buildInvocation(input)).toThrow(/CONTAINER is not set/);
  });

  it.each([
    [[], {}, 'none', false],
    [['CONTAINER_DRYRUN=yes'], {}, 'none', true],
    [['CONTAINER_DRYRUN=0'], {}, 'none', false],
    [[], { CONTAINER_DRYRUN: 'true' }, 'none', true],
    [['CONTAINER_NETWORK=host'], {}, 'host', false],
  ])('%j %j → network %s, dry run %s', (words, env, network, dryRun) => {
    expect(invocation(words, env).container).toMatchObject({ network, dryRun });
  });

  it.each([
    [['O=/b/x'], {}, '/b/x'],
    [['O=build'], {}, '/src/linux/build'],
    [['O=../out'], {}, '/src/out'],
    [[], { KBUILD_OUTPUT: '/env/out' }, '/env/out'],
    [[], { KBUILD_OUTPUT: 'rel' }, '/src/linux/rel'],
    [['O=/cmd'], { KBUILD_OUTPUT: '/env/out' }, '/cmd'],
    [['KBUILD_OUTPUT=/cmd-k'], { KBUILD_OUTPUT: '/env/out' }, '/cmd-k'],
    [['O=/cmd', 'KBUILD_OUTPUT=/cmd-k'], {}, '/cmd'],
    // Kbuild reads O only from the command line.
    [[], { O: '/env/o' }, undefined],
    [[], {}, undefined],
  ])('%j %j → output dir %s', (words, env, outputDir) => {
    expect(invocation(words, env).outputDir).toBe(outputDir);
  });

  it.each([
    [['M=drivers/foo'], {}, '/src/linux/drivers/foo'],
    [['M=/ext/mod'], {}, '/ext/mod'],
    [[], { KBUILD_EXTMOD: '/env/mod' }, '/env/mod'],
    [['M=/cmd'], { KBUILD_EXTMOD: '/env/mod' }, '/cmd'],
    [[], { M: '/env/m' }, undefined],
  ])('%j %j → external module dir %s', (words, env, extModDir) => {
    expect(invocation(words, env).extModDir).toBe(extModDir);
  });

  it.each([
    [['INSTALL_MOD_PATH=staging'], {}, ['/src/linux/staging']],
    [[], { INSTALL_MOD_PATH: '/env/mods' }, ['/env/mods']],
    [['INSTALL_MOD_PATH=/cmd'], { INSTALL_MOD_PATH: '/env/mods' }, ['/cmd']],
    [['INSTALL_PATH=/boot', 'INSTALL_HDR_PATH=/hdr', 'INSTALL_DTBS_PATH=/dtbs', 'INSTALL_MOD_PATH=/mods'], {}, ['/boot', '/mods', '/hdr', '/dtbs']],
    [['INSTALL_MOD_STRIP=1'], {}, []],
  ])('%j %j → install dirs %j', (words, env, installDirs) => {
    expect(invocation(words, env).installDirs).toEqual(installDirs);
  });

  it.each([
    ['ARCH', true],
    ['CROSS_COMPILE', true],
    ['LLVM', true],
    ['KCFLAGS', true],
    ['SOURCE_DATE_EPOCH', true],
    ['KBUILD_BUILD_TIMESTAMP', true],
    ['KBUILD_OUTPUT', true],
    ['KCONFIG_CONFIG', true],
    ['GITHUB_TOKEN', false],
    ['http_proxy', false],
    ['HTTPS_PROXY', false],
    ['PATH', false],
    ['HOME', false],
    ['SSH_AUTH_SOCK', false],
    ['MAKEFLAGS', false],
    ['CONTAINER', false],
    ['CONTAINER_ARGS', false],
    ['KBUILD_CONTAINER_RUNNER', false],
    ['KBUILD_CONTAINER_GOALS', false],
    ['KBUILD_CONTAINER_MAKEFLAGS', false],
    ['CONTAINER_PROFILE', false],
  ])('environment variable %s passes into the container: %s', (name, passes) => {
    const env = { [name]: 'value', CONTAINER: 'korg-gcc' };
    expect(invocation([], env).env).toEqual(passes ? { [name]: 'value' } : {});
  });

  it('CONTAINER_ENV adds names to the allow-list, from the command line or the environment', () => {
    const env = { FOO: '1', BAR: '2', BAZ: '3', GITHUB_TOKEN: 'secret' };
    expect(invocation(['CONTAINER_ENV=FOO  BAR'], env).env).toEqual({ FOO: '1', BAR: '2' });
    expect(invocation([], { ...env, CONTAINER_ENV: 'BAZ' }).env).toEqual({ BAZ: '3' });
  });

  it('CONTAINER_ENV naming an unset variable adds nothing', () => {
    expect(invocation(['CONTAINER_ENV=NOT_SET'], { ARCH: 'x86' }).env).toEqual({ ARCH: 'x86' });
  });

  it.each(['A-B', '1X', 'A=B', '$X'])('CONTAINER_ENV=%s is a user error', (name) => {
    expect(() => invocation([`CONTAINER_ENV=${name}`])).toThrow(UserError);
  });

  it('a variable typed on the command line reaches make as typed, not also through the environment', () => {
    const inv = invocation(['ARCH=arm64', 'KCFLAGS=-O1'], { ARCH: 'x86', KCFLAGS: '-O3', CROSS_COMPILE: 'aarch64-linux-gnu-' });
    expect(inv.env).toEqual({ CROSS_COMPILE: 'aarch64-linux-gnu-' });
    expect(inv.overrides).toEqual([
      { name: 'ARCH', value: 'arm64', op: '=' },
      { name: 'KCFLAGS', value: '-O1', op: '=' },
    ]);
  });

  it.each([
    [['V=1'], {}, true],
    [['V=2'], {}, true],
    [['V=0'], {}, false],
    [[], {}, false],
    [[], { KBUILD_VERBOSE: '1' }, true],
    [[], { V: '1' }, false],
  ])('%j %j → verbose %s', (words, env, verbose) => {
    expect(invocation(words, env).verbose).toBe(verbose);
  });

  it('CONTAINER_ARGS with a shell operator is a user error', () => {
    expect(() => invocation(['CONTAINER_ARGS=--cpus 2; rm -rf ~'])).toThrow(UserError);
  });
});

describe('splitContainerArgs', () => {
  it.each([
    ['--cpus 2 -v "/a b:/c"', ['--cpus', '2', '-v', '/a b:/c']],
    ["--env 'A=$B'", ['--env', 'A=$B']],
    ['--memory=4g   --cpus=2', ['--memory=4g', '--cpus=2']],
    ['a\\ b', ['a b']],
    // No shell runs: a $ stays as typed rather than being expanded.
    ['-v $HOME:/h', ['-v', '$HOME:/h']],
    ['', []],
    ['   ', []],
  ])('%j → %j', (text, words) => {
    expect(splitContainerArgs(text)).toEqual(words);
  });

  it.each(['x; rm', 'a | b', '$(x)', '*', 'a && b', 'a || b', '> f', '< f', 'a &', '?', '# comment'])('%j is a user error', (text) => {
    expect(() => splitContainerArgs(text)).toThrow(UserError);
    expect(() => splitContainerArgs(text)).toThrow(/CONTAINER_ARGS: .* is not allowed/);
  });
});
