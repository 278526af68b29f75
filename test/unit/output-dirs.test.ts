import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { findTreeAndCreateOutputDirs } from '../../src/output-dirs.js';
import { buildInvocation } from '../../src/parse/invocation.js';
import { parseAssignment } from '../../src/parse/makeflags.js';

let tmp: string;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-outdirs-')));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('findTreeAndCreateOutputDirs', () => {
  const invocation = (cwd: string, words: string[]) =>
    buildInvocation({
      cwd,
      goals: [],
      flags: [],
      jobs: { kind: 'default' },
      overrides: ['CONTAINER=korg-gcc', ...words].map((w) => parseAssignment(w)!),
      silent: false,
      env: {},
    });

  it('creates O= and INSTALL_MOD_PATH as the caller', () => {
    const tree = findTreeAndCreateOutputDirs(invocation(tmp, ['O=out/x86', 'INSTALL_MOD_PATH=stage']), { create: true });
    expect(tree).toEqual({ srctree: tmp });
    expect(fs.statSync(path.join(tmp, 'out/x86')).isDirectory()).toBe(true);
    expect(fs.statSync(path.join(tmp, 'stage')).isDirectory()).toBe(true);
  });

  it.each([
    ['htmldocs', true],
    ['bzImage', false],
  ])('%s with O= on a tree whose docs write into it: the twin under O= created (%s)', (goal, created) => {
    const src = path.join(tmp, 'linux');
    fs.mkdirSync(path.join(src, 'Documentation/networking/netlink_spec'), { recursive: true });
    findTreeAndCreateOutputDirs({ ...invocation(src, [`O=${tmp}/out`]), goals: [goal] }, { create: true });
    expect(fs.existsSync(path.join(tmp, 'out/Documentation/networking/netlink_spec'))).toBe(created);
    expect(fs.existsSync(path.join(tmp, 'out'))).toBe(true);
  });

  it('creates nothing when only printing', () => {
    findTreeAndCreateOutputDirs(invocation(tmp, ['O=out']), { create: false });
    expect(fs.existsSync(path.join(tmp, 'out'))).toBe(false);
  });

  it.each([true, false])('O= naming a file is a user error (create: %s)', (create) => {
    fs.writeFileSync(path.join(tmp, 'out'), 'not a directory');
    expect(() => findTreeAndCreateOutputDirs(invocation(tmp, ['O=out']), { create })).toThrow(UserError);
    expect(() => findTreeAndCreateOutputDirs(invocation(tmp, ['O=out']), { create })).toThrow(/exists and is not a directory/);
  });

  it('O= below a file is a user error', () => {
    fs.writeFileSync(path.join(tmp, 'file'), '');
    expect(() => findTreeAndCreateOutputDirs(invocation(tmp, ['O=file/out']), { create: true })).toThrow(UserError);
  });

  it('M= naming a missing directory is a user error', () => {
    expect(() => findTreeAndCreateOutputDirs(invocation(tmp, ['M=nope']), { create: true })).toThrow(/M=.*nope: no such directory/);
  });

  it.each(['O=a:b', 'O=a,b'])('%s cannot be mounted', (word) => {
    expect(() => findTreeAndCreateOutputDirs(invocation(tmp, [word]), { create: true })).toThrow(/cannot be mounted/);
  });
});
