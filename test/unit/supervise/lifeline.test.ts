import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLifeline } from '../../../src/supervise/lifeline.js';
import { makeFakeEngine, survivorsAfter, waitFor, type FakeEngine } from '../helpers/fake-engine.js';

let fake: FakeEngine | undefined;
afterEach(async () => {
  await fake?.cleanup();
  fake = undefined;
});

const REMOVE = ['rm', '--force', '--time=0', 'kbuild-l1'];

function setUp(config = {}) {
  fake = makeFakeEngine('podman', config);
  const record = path.join(fake.root, 'record');
  fs.writeFileSync(record, '{}');
  return { fake, record, lifeline: startLifeline(fake.file, REMOVE, record) };
}

describe('startLifeline', () => {
  it('released: the watcher exits without removing anything', async () => {
    const { fake, record, lifeline } = setUp();
    lifeline.release();
    expect(await survivorsAfter(fake)).toEqual([]);
    expect(fake.removals()).toEqual([]);
    expect(fs.existsSync(record)).toBe(true);
  });

  it('abandoned: the watcher removes the container and forgets the run', async () => {
    const { fake, record, lifeline } = setUp();
    lifeline.abandon();
    expect(await waitFor(() => !fs.existsSync(record))).toBe(true);
    expect(fake.removals()).toEqual([REMOVE]);
    expect(await survivorsAfter(fake)).toEqual([]);
  });

  it('abandoned with the container already gone ("no such container"): the run is forgotten', async () => {
    const { fake, record, lifeline } = setUp({ FAKE_RM_EXIT: 1, FAKE_RM_STDERR: 'Error: no such container kbuild-l1' });
    lifeline.abandon();
    expect(await waitFor(() => !fs.existsSync(record))).toBe(true);
    expect(fake.removals()).toEqual([REMOVE]);
  });

  it('abandoned while the engine is down: the record stays for the next start', async () => {
    const { fake, record, lifeline } = setUp({ FAKE_RM_EXIT: 125, FAKE_RM_STDERR: 'Error: cannot connect to Podman' });
    lifeline.abandon();
    expect(await waitFor(() => fake.removals().length > 0)).toBeTruthy();
    expect(await survivorsAfter(fake)).toEqual([]);
    expect(fs.existsSync(record)).toBe(true);
  });
});
