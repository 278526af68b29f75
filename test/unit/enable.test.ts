import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { disableTree, enableTree, fragmentPath, gnumakefileText } from '../../src/enable.js';
import { UserError } from '../../src/errors.js';

let tree: string;
let exclude: string;
let pristineExclude: string;

beforeEach(() => {
  tree = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-tree-'));
  fs.writeFileSync(path.join(tree, 'Makefile'), 'all:\n\t@echo kernel\n');
  fs.writeFileSync(path.join(tree, 'Kbuild'), 'obj-y += init/\n');
  execFileSync('git', ['init', '-q', tree]);
  exclude = path.join(tree, '.git', 'info', 'exclude');
  pristineExclude = fs.readFileSync(exclude, 'utf8');
});
afterEach(() => fs.rmSync(tree, { recursive: true, force: true }));

const gnumakefile = () => path.join(tree, 'GNUmakefile');
const gitStatus = () => execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: tree, encoding: 'utf8' });

describe('enableTree', () => {
  it('writes a GNUmakefile that includes the fragment only when CONTAINER is set', () => {
    expect(enableTree(tree)).toBe(gnumakefile());
    const text = fs.readFileSync(gnumakefile(), 'utf8');
    expect(text).toBe(gnumakefileText(fragmentPath()));
    expect(text).toMatch(/^# kbuild-container: enabled/);
    expect(text).toContain(`include ${fragmentPath()}`);
    expect(fs.existsSync(fragmentPath())).toBe(true);
  });

  it("without CONTAINER, make still runs the kernel's Makefile", () => {
    enableTree(tree);
    expect(execFileSync('make', ['-s'], { cwd: tree, encoding: 'utf8', env: { ...process.env, MAKEFLAGS: '', CONTAINER: '' } })).toBe('kernel\n');
  });

  it('hides the GNUmakefile from git through .git/info/exclude, once', () => {
    enableTree(tree);
    enableTree(tree);
    expect(fs.readFileSync(exclude, 'utf8')).toBe(pristineExclude + '/GNUmakefile\n');
    expect(gitStatus()).toBe('?? Kbuild\n?? Makefile\n');
  });

  it('finds the exclude file of a checkout whose .git is a file (worktree, submodule)', () => {
    const gitdir = path.join(tree, '.git');
    const real = path.join(tree, '..', `${path.basename(tree)}.gitdir`);
    fs.renameSync(gitdir, real);
    fs.writeFileSync(gitdir, `gitdir: ${real}\n`);
    try {
      enableTree(tree);
      expect(fs.readFileSync(path.join(real, 'info', 'exclude'), 'utf8')).toBe(pristineExclude + '/GNUmakefile\n');
    } finally {
      fs.rmSync(real, { recursive: true, force: true });
    }
  });

  it('works in a tree that is not a git checkout', () => {
    fs.rmSync(path.join(tree, '.git'), { recursive: true });
    enableTree(tree);
    expect(fs.existsSync(gnumakefile())).toBe(true);
    expect(fs.existsSync(path.join(tree, '.git'))).toBe(false);
  });

  it('refuses to overwrite a GNUmakefile it did not write', () => {
    fs.writeFileSync(gnumakefile(), 'include Makefile\n');
    expect(() => enableTree(tree)).toThrow(UserError);
    expect(() => enableTree(tree)).toThrow(/exists and was not written by kbuild-container/);
    expect(fs.readFileSync(gnumakefile(), 'utf8')).toBe('include Makefile\n');
    expect(fs.readFileSync(exclude, 'utf8')).toBe(pristineExclude);
  });

  it.each([['Makefile'], ['Kbuild']])('refuses a directory without %s', (missing) => {
    fs.rmSync(path.join(tree, missing));
    expect(() => enableTree(tree)).toThrow(/is not a kernel source tree/);
    expect(fs.existsSync(gnumakefile())).toBe(false);
  });
});

describe('disableTree', () => {
  it('removes exactly what enableTree added', () => {
    fs.appendFileSync(exclude, '*.o\n');
    const before = fs.readFileSync(exclude, 'utf8');
    enableTree(tree);
    fs.appendFileSync(exclude, 'build/\n');
    expect(disableTree(tree)).toBe(gnumakefile());
    expect(fs.existsSync(gnumakefile())).toBe(false);
    expect(fs.readFileSync(exclude, 'utf8')).toBe(before + 'build/\n');
  });

  it('leaves a pristine checkout as it was', () => {
    enableTree(tree);
    disableTree(tree);
    expect(fs.readFileSync(exclude, 'utf8')).toBe(pristineExclude);
    expect(fs.readdirSync(tree).sort()).toEqual(['.git', 'Kbuild', 'Makefile']);
  });

  it('refuses to remove a GNUmakefile it did not write', () => {
    fs.writeFileSync(gnumakefile(), 'include Makefile\n');
    expect(() => disableTree(tree)).toThrow(UserError);
    expect(fs.readFileSync(gnumakefile(), 'utf8')).toBe('include Makefile\n');
  });

  it('is harmless when nothing was enabled', () => {
    disableTree(tree);
    expect(fs.readFileSync(exclude, 'utf8')).toBe(pristineExclude);
    expect(fs.existsSync(gnumakefile())).toBe(false);
  });
});
