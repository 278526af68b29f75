import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { findEngine, findTree, which } from '../../src/host.js';

let tmp: string;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-host-')));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A PATH directory holding executables (or, with `mode`, plain files) of these names. */
function binDir(name: string, files: string[], mode = 0o755): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of files) {
    fs.writeFileSync(path.join(dir, f), '#!/bin/sh\n');
    fs.chmodSync(path.join(dir, f), mode);
  }
  return dir;
}

describe('findEngine', () => {
  it.each([
    [['podman', 'docker'], undefined, 'podman'],
    [['docker'], undefined, 'docker'],
    [['podman'], undefined, 'podman'],
    [['podman', 'docker'], 'docker', 'docker'],
    [['podman', 'docker'], 'podman', 'podman'],
  ])('installed %j, CONTAINER_RUNTIME=%s → %s', (installed, requested, expected) => {
    const dir = binDir('bin', installed);
    const { engine, path: found } = findEngine(requested, dir);
    expect(engine.name).toBe(expected);
    expect(found).toBe(path.join(dir, expected));
  });

  it('takes the first directory on PATH that has the engine', () => {
    const first = binDir('first', ['docker']);
    const second = binDir('second', ['podman', 'docker']);
    expect(findEngine(undefined, `${first}:${second}`)).toMatchObject({ engine: { name: 'podman' }, path: path.join(second, 'podman') });
    expect(findEngine('docker', `${first}:${second}`).path).toBe(path.join(first, 'docker'));
  });

  it('CONTAINER_RUNTIME may be a path to the engine', () => {
    const dir = binDir('opt', ['docker']);
    expect(findEngine(path.join(dir, 'docker'), '/nonexistent')).toMatchObject({ engine: { name: 'docker' }, path: path.join(dir, 'docker') });
  });

  it('skips a file that is not executable', () => {
    const plain = binDir('plain', ['podman'], 0o644);
    const dir = binDir('bin', ['docker']);
    expect(findEngine(undefined, `${plain}:${dir}`).engine.name).toBe('docker');
  });

  it.each([
    ['lxc', /CONTAINER_RUNTIME='lxc' is not supported; use one of: podman, docker/],
    ['nerdctl', /is not supported/],
  ])('an unknown runtime %s is a user error', (requested, message) => {
    const dir = binDir('bin', ['podman', 'docker', requested]);
    expect(() => findEngine(requested, dir)).toThrow(UserError);
    expect(() => findEngine(requested, dir)).toThrow(message);
  });

  it('a requested runtime that is not installed is a user error', () => {
    const dir = binDir('bin', ['podman']);
    expect(() => findEngine('docker', dir)).toThrow(UserError);
    expect(() => findEngine('docker', dir)).toThrow(/docker is not installed/);
  });

  it('nothing installed is a user error', () => {
    const dir = binDir('empty', []);
    expect(() => findEngine(undefined, dir)).toThrow(UserError);
    expect(() => findEngine(undefined, dir)).toThrow(/no container engine found/);
  });

  it('which() ignores directories named like the command', () => {
    const dir = binDir('bin', []);
    fs.mkdirSync(path.join(dir, 'podman'));
    expect(which('podman', dir)).toBeUndefined();
  });
});

describe('findTree', () => {
  it('a plain directory is its own source tree', () => {
    expect(findTree(tmp)).toEqual({ srctree: tmp });
  });

  it('an O= directory (Makefile + source link) names the tree it was built from', () => {
    const src = path.join(tmp, 'linux');
    const out = path.join(tmp, 'build');
    fs.mkdirSync(src);
    fs.mkdirSync(out);
    fs.symlinkSync(src, path.join(out, 'source'));
    fs.writeFileSync(path.join(out, 'Makefile'), 'include $(abspath source)/Makefile\n');
    expect(findTree(out)).toEqual({ srctree: src, objtree: out });
  });

  it('a tree whose docs goals write into it (6.12: netlink_spec) says so, seen from the tree or from O=', () => {
    const src = path.join(tmp, 'linux');
    const out = path.join(tmp, 'build');
    fs.mkdirSync(path.join(src, 'Documentation/networking/netlink_spec'), { recursive: true });
    fs.mkdirSync(out);
    fs.symlinkSync(src, path.join(out, 'source'));
    fs.writeFileSync(path.join(out, 'Makefile'), '');
    const inTreeOutputs = ['Documentation/networking/netlink_spec'];
    expect(findTree(src)).toEqual({ srctree: src, inTreeOutputs });
    expect(findTree(out)).toEqual({ srctree: src, objtree: out, inTreeOutputs });
  });

  it('a source link without a Makefile is not an output directory', () => {
    const out = path.join(tmp, 'build');
    fs.mkdirSync(out);
    fs.symlinkSync(tmp, path.join(out, 'source'));
    expect(findTree(out)).toEqual({ srctree: out });
  });

  it('a directory named source is not the link', () => {
    fs.mkdirSync(path.join(tmp, 'source'));
    fs.writeFileSync(path.join(tmp, 'Makefile'), '');
    expect(findTree(tmp)).toEqual({ srctree: tmp });
  });
});
