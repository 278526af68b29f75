import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { buildCommand, chooseSource, imagesDir, isImageNotFound } from '../../../src/images/on-demand.js';

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
