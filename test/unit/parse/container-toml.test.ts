import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import {
  applyContainerConfig,
  describeContainerConfig,
  loadContainerConfig,
  parseContainerToml,
  parseEnvFile,
  resolveProfile,
  type ContainerConfig,
} from '../../../src/parse/container-toml.js';

const FILE = '/k/.container.toml';

// A file shaped like upstream's sample: DEFAULT plus two toolchain profiles.
const SAMPLE = `# shared by scripts/container and make CONTAINER=@...
[DEFAULT]
runtime = "podman"
env_file = "default.env"
gid = 1000

[clang]
image = "docker.io/tuxmake/korg-clang"
env_file = "clang.env"

[gcc]
image = "korg-gcc:14"
runtime = "docker"
uid = "1234"
`;

const ENV_FILES: Record<string, string> = {
  'default.env': 'INSTALL_MOD_STRIP=1\n',
  'clang.env': '# clang wants LLVM\nLLVM=1\n\nKCFLAGS=-Wno-error\n',
};

function configOf(text: string, envFiles: Record<string, string> = ENV_FILES): ContainerConfig {
  const config = parseContainerToml(text, FILE);
  const read = new Map(Object.entries(envFiles).map(([name, body]) => [path.resolve('/k', name), { text: body }]));
  return { ...config, envFiles: read };
}

function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error('expected a UserError');
}

describe('parseContainerToml', () => {
  it('reads DEFAULT and two profiles, typed', () => {
    const config = configOf(SAMPLE);
    expect(config.defaults).toMatchObject({ runtime: 'podman', envFile: 'default.env', lines: { runtime: 3, env_file: 4, gid: 5 } });
    expect([...config.profiles.keys()]).toEqual(['clang', 'gcc']);
    expect(config.profiles.get('gcc')).toMatchObject({ image: 'korg-gcc:14', runtime: 'docker', lines: { uid: 14 } });
  });

  it('accepts a file with profiles and no DEFAULT', () => {
    expect(configOf('[x]\nimage = "a"\n').defaults).toEqual({ lines: {} });
  });

  it.each([
    ['unclosed string', '[DEFAULT]\nruntime = "podman"\nimage = "korg\n', /^\/k\/\.container\.toml:3:\d+: malformed TOML: \S/],
    ['bad header', '[DEFAULT\nimage = "x"\n', /^\/k\/\.container\.toml:1:\d+: malformed TOML: \S/],
    ['duplicate key', '[DEFAULT]\nimage = "a"\nimage = "b"\n', /^\/k\/\.container\.toml:3:\d+: malformed TOML: \S/],
  ])('malformed TOML (%s): one line with file, line and reason', (_name, text, message) => {
    const err = userError(() => parseContainerToml(text, FILE));
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('\n');
  });

  it.each([
    ['in DEFAULT', '[DEFAULT]\nimage = "a"\nimgae = "b"\n', `${FILE}:3: unknown key 'imgae' in [DEFAULT]`],
    ['in a profile', SAMPLE + '\n[old]\nimage = "x"\nnetwork = "host"\n', `${FILE}:18: unknown key 'network' in [old]`],
    ['as a sub-table header', '[DEFAULT]\nimage = "a"\n\n[DEFAULT.extra]\nx = 1\n', `${FILE}:4: unknown key 'extra' in [DEFAULT]`],
    ['as a dotted key', '[gcc]\nimage = "a"\ncompiler.tag = "14"\n', `${FILE}:3: unknown key 'compiler' in [gcc]`],
    ['in a quoted profile name', '["my gcc"]\n\nvolume = "/x"\n', `${FILE}:3: unknown key 'volume' in [my gcc]`],
  ])('unknown key %s: names file, line and key', (_name, text, message) => {
    expect(userError(() => parseContainerToml(text, FILE)).message).toContain(message);
  });

  it.each([
    ['image = 3', `${FILE}:2: [DEFAULT] image must be a non-empty string, not integer 3`],
    ['image = ""', `${FILE}:2: [DEFAULT] image must be a non-empty string, not string ""`],
    ['image = "@clang"', `${FILE}:2: [DEFAULT] image must be an image reference`],
    ['runtime = "lxc"', `${FILE}:2: [DEFAULT] runtime must be one of "podman", "docker", not string "lxc"`],
    ['env_file = ["a", "b"]', `${FILE}:2: [DEFAULT] env_file must be a non-empty string, not an array`],
    ['uid = "abc"', `${FILE}:2: [DEFAULT] uid must be a numeric id (0 to 4294967294), not string "abc"`],
    ['gid = -1', `${FILE}:2: [DEFAULT] gid must be a numeric id (0 to 4294967294), not integer -1`],
    ['gid = 1.5', `${FILE}:2: [DEFAULT] gid must be a numeric id (0 to 4294967294), not float 1.5`],
    ['shell = "yes"', `${FILE}:2: [DEFAULT] shell must be true or false, not string "yes"`],
    ['image.tag = "14"', `${FILE}:2: [DEFAULT] image must be a non-empty string, not a table`],
    ['verbose = 1979-05-27', `${FILE}:2: [DEFAULT] verbose must be true or false, not date-time`],
  ])('wrong type: %s', (line, message) => {
    expect(userError(() => parseContainerToml(`[DEFAULT]\n${line}\n`, FILE)).message).toContain(message);
  });

  it.each([
    ['a key outside any table', '# top\nimage = "korg-gcc"\n', `${FILE}:2: 'image' is outside any table; put it under [DEFAULT] or a [profile]`],
    ['an array of tables', '[[gcc]]\nimage = "a"\n', `${FILE}:1: 'gcc' is outside any table`],
  ])('rejects %s', (_name, text, message) => {
    expect(userError(() => parseContainerToml(text, FILE)).message).toContain(message);
  });

  it('finds the line of a key given in an inline table', () => {
    const err = userError(() => parseContainerToml('\nDEFAULT = { image = 3 }\n', FILE));
    expect(err.message).toBe(`${FILE}:2: [DEFAULT] image must be a non-empty string, not integer 3`);
  });
});

describe('resolveProfile', () => {
  const config = configOf(SAMPLE);
  it.each([
    [
      'DEFAULT alone',
      undefined,
      { profile: undefined, image: undefined, runtime: 'podman', envFile: '/k/default.env', env: [{ name: 'INSTALL_MOD_STRIP', value: '1' }] },
    ],
    [
      'clang: its image and env_file over DEFAULT, DEFAULT runtime',
      'clang',
      {
        profile: 'clang',
        image: 'docker.io/tuxmake/korg-clang',
        runtime: 'podman',
        envFile: '/k/clang.env',
        env: [
          { name: 'LLVM', value: '1' },
          { name: 'KCFLAGS', value: '-Wno-error' },
        ],
      },
    ],
    ['gcc: its runtime over DEFAULT, DEFAULT env_file', 'gcc', { profile: 'gcc', image: 'korg-gcc:14', runtime: 'docker', envFile: '/k/default.env' }],
  ])('%s', (_name, profile, expected) => {
    expect(resolveProfile(config, profile)).toMatchObject({ configFile: FILE, ...expected });
  });

  it('rejects an unknown profile, listing those available', () => {
    expect(userError(() => resolveProfile(config, 'rust')).message).toBe(`${FILE}: no profile [rust]; available: @clang, @gcc (and @ for [DEFAULT])`);
  });

  it('says so when the file has no profiles at all', () => {
    expect(userError(() => resolveProfile(configOf('[DEFAULT]\nimage = "a"\n'), 'x')).message).toContain('it has only [DEFAULT], selected by @');
  });

  it('reports an env_file that could not be read at the line that names it', () => {
    const broken = { ...configOf(SAMPLE), envFiles: new Map([['/k/clang.env', { error: 'ENOENT' }]]) };
    expect(userError(() => resolveProfile(broken, 'clang')).message).toBe(`${FILE}:9: env_file 'clang.env' cannot be read: ENOENT`);
  });
});

describe('applyContainerConfig', () => {
  const config = configOf(SAMPLE);
  const made = (image: string, runtime?: string) => ({ image, runtime, args: [], network: 'none', dryRun: false });

  it.each([
    [
      '@profile: image and settings from the profile',
      made('@clang'),
      { image: 'docker.io/tuxmake/korg-clang', runtime: 'podman', profile: 'clang', envFile: '/k/clang.env' },
    ],
    ['@profile: the profile runtime over DEFAULT', made('@gcc'), { image: 'korg-gcc:14', runtime: 'docker', profile: 'gcc' }],
    [
      'explicit image wins; DEFAULT settings still apply',
      made('korg-gcc'),
      { image: 'korg-gcc', runtime: 'podman', profile: undefined, envFile: '/k/default.env' },
    ],
    ['CONTAINER_RUNTIME beats profile and DEFAULT', made('@gcc', 'podman'), { image: 'korg-gcc:14', runtime: 'podman' }],
    ['other settings pass through untouched', made('@clang'), { args: [], network: 'none', dryRun: false, configFile: FILE }],
  ])('%s', (_name, settings, expected) => {
    expect(applyContainerConfig(settings, config)).toMatchObject(expected);
  });

  it('@ alone takes image and settings from DEFAULT', () => {
    const withImage = configOf(SAMPLE.replace('gid = 1000', 'gid = 1000\nimage = "korg-gcc:13"'));
    expect(applyContainerConfig(made('@'), withImage)).toMatchObject({
      image: 'korg-gcc:13',
      runtime: 'podman',
      profile: undefined,
      env: [{ name: 'INSTALL_MOD_STRIP', value: '1' }],
    });
  });

  it('uid, gid, shell and verbose are accepted and carried nowhere', () => {
    const c = configOf('[DEFAULT]\nimage = "a"\nuid = 2000\ngid = 3\nshell = true\nverbose = true\n');
    expect(Object.keys(applyContainerConfig(made('@'), c)).sort()).toEqual([
      'args',
      'configFile',
      'dryRun',
      'env',
      'envFile',
      'image',
      'network',
      'profile',
      'runtime',
    ]);
  });

  it('without a file, an explicit image is left as it is', () => {
    expect(applyContainerConfig(made('korg-gcc'), undefined)).toEqual({ ...made('korg-gcc'), env: [] });
  });

  it.each([
    ['@ with no image in DEFAULT', made('@'), config, `CONTAINER=@: [DEFAULT] in ${FILE} sets no image`],
    [
      '@profile with no image anywhere',
      made('@x'),
      configOf('[x]\nruntime = "docker"\n'),
      `CONTAINER=@x: profile [x] (nor [DEFAULT]) in ${FILE} sets no image`,
    ],
    ['@profile that does not exist', made('@rust'), config, `${FILE}: no profile [rust]; available: @clang, @gcc`],
    [
      '@profile without a file',
      made('@clang'),
      undefined,
      'CONTAINER=@clang selects from .container.toml, but there is no .container.toml in the directory make runs in',
    ],
  ])('rejects %s', (_name, settings, cfg, message) => {
    expect(userError(() => applyContainerConfig(settings, cfg)).message).toContain(message);
  });
});

describe('describeContainerConfig', () => {
  it.each([
    ['no file', { env: [] }, undefined],
    ['DEFAULT only', { configFile: FILE, env: [] }, `kbuild-container: settings from ${FILE}: [DEFAULT]`],
    [
      'a profile and its env file',
      { configFile: FILE, profile: 'gcc', envFile: '/k/gcc.env', env: [] },
      `kbuild-container: settings from ${FILE}: profile [gcc] over [DEFAULT], env_file /k/gcc.env`,
    ],
  ])('%s', (_name, settings, line) => {
    expect(describeContainerConfig(settings)).toBe(line);
  });
});

describe('parseEnvFile', () => {
  it.each([
    [
      'KEY=value lines',
      'A=1\nB=two words\n',
      [
        { name: 'A', value: '1' },
        { name: 'B', value: 'two words' },
      ],
    ],
    ['comments and blank lines', '# comment\n\n   \n  # indented comment\nA=1\n', [{ name: 'A', value: '1' }]],
    [
      'value verbatim: quotes, = and trailing blanks kept',
      'A="x"\nB=k=v \n',
      [
        { name: 'A', value: '"x"' },
        { name: 'B', value: 'k=v ' },
      ],
    ],
    ['empty value', 'A=\n', [{ name: 'A', value: '' }]],
    ['bare name: from the caller environment', 'HOME\n', [{ name: 'HOME', value: undefined }]],
    [
      'leading blanks, CRLF and a BOM',
      '\uFEFF  A=1\r\nB=2\r\n',
      [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
    ],
    ['an empty file', '', []],
  ])('%s', (_name, text, expected) => {
    expect(parseEnvFile(text, '/k/x.env')).toEqual(expected);
  });

  it.each([
    ['a blank in the name', 'A=1\nMY VAR=1\n', "/k/x.env:2: 'MY VAR' is not a variable name"],
    ['no name', '\n=1\n', "/k/x.env:2: '' is not a variable name"],
    ['export prefix', 'export A=1\n', "/k/x.env:1: 'export A' is not a variable name"],
  ])('rejects %s', (_name, text, message) => {
    expect(userError(() => parseEnvFile(text, '/k/x.env')).message).toContain(message);
  });
});

describe('loadContainerConfig', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'container-toml-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('returns undefined when the directory has no .container.toml', () => {
    expect(loadContainerConfig(dir)).toBeUndefined();
  });

  it('reads the file and the env files it names, relative to its directory', () => {
    fs.writeFileSync(path.join(dir, '.container.toml'), SAMPLE);
    fs.writeFileSync(path.join(dir, 'clang.env'), ENV_FILES['clang.env']);
    const config = loadContainerConfig(dir)!;
    expect(config.file).toBe(path.join(dir, '.container.toml'));
    expect(resolveProfile(config, 'clang').env).toEqual([
      { name: 'LLVM', value: '1' },
      { name: 'KCFLAGS', value: '-Wno-error' },
    ]);
    // default.env does not exist: only selecting a section that uses it fails.
    expect(userError(() => resolveProfile(config, 'gcc')).message).toBe(`${config.file}:4: env_file 'default.env' cannot be read: ENOENT`);
  });

  describe('an env_file outside the tree is refused, never read', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'container-toml-outside-'));
    const secret = path.join(outside, 'secret.env');
    fs.writeFileSync(secret, 'TOKEN=do-not-leak\n');
    afterAll(() => fs.rmSync(outside, { recursive: true, force: true }));
    const load = (envFile: string) => {
      const tree = fs.mkdtempSync(path.join(dir, 'tree-'));
      fs.writeFileSync(path.join(tree, '.container.toml'), `[DEFAULT]\nimage = "korg-gcc"\nenv_file = "${envFile}"\n`);
      return { tree, config: loadContainerConfig(tree)! };
    };

    it.each([
      ['an absolute path', () => secret],
      ['a ../ path', () => path.relative(dir, secret).replace(/^/, '../')],
    ])('%s', (_name, envFile) => {
      const { tree, config } = load(envFile());
      expect([...config.envFiles.values()]).toEqual([{ outside: fs.realpathSync(secret) }]);
      expect(userError(() => resolveProfile(config, undefined)).message).toBe(
        `${tree}/.container.toml:3: env_file '${envFile()}' is ${fs.realpathSync(secret)}, outside the tree; only files under ${tree} are read`,
      );
    });

    it('a symlink inside the tree that leads out of it', () => {
      const { tree } = load('link.env');
      fs.symlinkSync(secret, path.join(tree, 'link.env'));
      const config = loadContainerConfig(tree)!;
      expect(JSON.stringify([...config.envFiles.values()])).not.toContain('do-not-leak');
      expect(userError(() => resolveProfile(config, undefined)).message).toBe(
        `${tree}/.container.toml:3: env_file 'link.env' is ${fs.realpathSync(secret)}, outside the tree; only files under ${tree} are read`,
      );
    });

    it('a symlink that stays inside the tree is read', () => {
      const { tree } = load('link.env');
      fs.mkdirSync(path.join(tree, 'env'));
      fs.writeFileSync(path.join(tree, 'env', 'real.env'), 'A=1\n');
      fs.symlinkSync('env/real.env', path.join(tree, 'link.env'));
      expect(resolveProfile(loadContainerConfig(tree)!, undefined).env).toEqual([{ name: 'A', value: '1' }]);
    });
  });

  it('fails with the file and line when the file is malformed', () => {
    fs.writeFileSync(path.join(dir, '.container.toml'), '[DEFAULT]\nimage = \n');
    expect(userError(() => loadContainerConfig(dir)).message).toMatch(new RegExp(`^${dir}/\\.container\\.toml:2:\\d+: malformed TOML`));
  });
});
