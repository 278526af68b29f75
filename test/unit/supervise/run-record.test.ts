import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordDir, removeRecord, staleRecords, writeRecord, type RunRecord } from '../../../src/supervise/run-record.js';

let dir: string;
beforeEach(() => {
  dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-records-')), 'runs');
});
afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

const record = (name: string, runnerPid: number): RunRecord => ({
  name,
  enginePath: '/usr/bin/podman',
  removeArgs: ['rm', '--force', '--time=0', name],
  runnerPid,
});

describe('run records', () => {
  it.each([
    [{ XDG_CACHE_HOME: '/c' }, '/c/kbuild-container/runs'],
    [{ XDG_CACHE_HOME: '' }, path.join(os.homedir(), '.cache/kbuild-container/runs')],
    [{}, path.join(os.homedir(), '.cache/kbuild-container/runs')],
  ])('recordDir(%j) → %s', (env, expected) => {
    expect(recordDir(env)).toBe(expected);
  });

  it('writes one file per run, named after the container, and removes it', () => {
    const file = writeRecord(dir, record('kbuild-a', 42));
    expect(file).toBe(path.join(dir, 'kbuild-a'));
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(record('kbuild-a', 42));
    removeRecord(file);
    removeRecord(file);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a record is stale when its runner is dead; an unreadable one is dropped', () => {
    writeRecord(dir, record('kbuild-dead', 1001));
    writeRecord(dir, record('kbuild-alive', 1002));
    fs.writeFileSync(path.join(dir, 'kbuild-torn'), '{"name":"kbu');
    const stale = staleRecords(dir, (pid) => pid === 1002);
    expect(stale).toEqual([{ file: path.join(dir, 'kbuild-dead'), record: record('kbuild-dead', 1001) }]);
    expect(fs.readdirSync(dir).sort()).toEqual(['kbuild-alive', 'kbuild-dead']);
  });

  it('no directory yet: nothing is stale', () => {
    expect(staleRecords(path.join(dir, 'missing'), () => false)).toEqual([]);
  });
});
