import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { buildCommand, chooseSource, imagesDir, isImageNotFound } from '../../../src/images/on-demand.js';
import { groupGone, runTool } from '../../../src/images/run-tool.js';

describe('chooseSource', () => {
  it.each([
    [{ CONTAINER_IMAGES_SOURCE: 'debian' }, 'debian', 'CONTAINER_IMAGES_SOURCE'],
    [{ CONTAINER_IMAGES_SOURCE: 'kernel.org', KORG_MIRROR: '/nonexistent' }, 'kernel.org', 'CONTAINER_IMAGES_SOURCE'],
    [{ KORG_MIRROR: os.tmpdir() }, 'kernel.org', os.tmpdir()],
    [{ KORG_MIRROR: '/nonexistent/mirror' }, 'debian', '/nonexistent/mirror does not exist'],
    [{ KORG_MIRROR: 'http://127.0.0.1:9/' }, 'debian', 'http://127.0.0.1:9/ does not answer'],
  ])('%j -> %s', async (env, source, why) => {
    expect(await chooseSource(env)).toEqual({ source, why });
  });

  it('refuses an unknown CONTAINER_IMAGES_SOURCE in one line', async () => {
    await expect(chooseSource({ CONTAINER_IMAGES_SOURCE: 'gentoo' })).rejects.toThrow(/^CONTAINER_IMAGES_SOURCE='gentoo' is not debian, kernel.org or auto$/);
  });
});

describe('isImageNotFound', () => {
  it.each([
    [new UserError("image 'korg-gcc' not found in podman's local store; build it"), 'korg-gcc', true],
    [new UserError("image 'korg-gcc:14' not found in docker's local store; build it"), 'korg-gcc', false],
    [new Error("image 'korg-gcc' not found"), 'korg-gcc', false],
    [new UserError('podman cannot reach its service'), 'korg-gcc', false],
  ])('%s for %s -> %s', (err, image, want) => {
    expect(isImageNotFound(err, image)).toBe(want);
  });
});

describe('buildCommand', () => {
  it('is the make line a user would type', () => {
    expect(buildCommand('/pkg/images', 'korg-', 'gcc:14', 'podman')).toEqual([
      'make',
      '-C',
      '/pkg/images',
      'PREFIX=korg-',
      'IMAGES=gcc:14',
      'CONTAINER_RUNTIME=podman',
    ]);
  });
  it('finds the shipped images/ from the sources', () => {
    expect(imagesDir()).toMatch(/\/images$/);
  });
});

describe('runTool', () => {
  // flock dies at once on Ctrl-C while the make under it still removes the
  // build's working containers: the result must wait for the whole group.
  it('resolves only when the last process of its group has exited, not its leader', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-runtool-'));
    try {
      const done = path.join(dir, 'done');
      const r = await runTool('sh', ['-c', `(sleep 1; touch '${done}') >/dev/null 2>&1 & exit 0`], { quiet: true, stderr: process.stderr });
      expect(r.code).toBe(0);
      expect(fs.existsSync(done)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('groupGone gives up after its time and kills what is left', async () => {
    const child = spawn('sh', ['-c', 'sleep 30'], { detached: true, stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', (_code, signal) => r(signal)));
    expect(await groupGone(child.pid!, 200)).toBe(false);
    expect(await exited).toBe('SIGKILL');
  });
});
