import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { quoteCommand, quoteWord } from '../../../src/plan/shell-words.js';

const NASTY = [
  'plain',
  'with space',
  "it's",
  '"double"',
  '$HOME',
  '$(id)',
  '`id`',
  'bang!',
  '!!',
  'back\\slash',
  'new\nline',
  'tab\there',
  '*',
  '~',
  '#hash',
  'a;b|c&d',
  '',
  "'",
  "''",
  '--volume=/a b:/a b:ro',
];

/** The argv a shell reads back from `printf '%s\0' COMMAND` (NUL-separated, so newlines survive). */
function readBack(shell: string, command: string): string[] {
  const out = execFileSync(shell, ['-c', `printf '%s\\0' ${command}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('quoteCommand', () => {
  const shells = ['/bin/sh', '/bin/bash'].filter((s) => fs.existsSync(s));

  it.each(shells)('%s reads every word back unchanged', (shell) => {
    expect(readBack(shell, quoteCommand(NASTY))).toEqual(NASTY);
  });

  it.each(NASTY.map((w) => [w]))('%j alone round-trips through sh', (word) => {
    expect(readBack('/bin/sh', quoteCommand([word]))).toEqual([word]);
  });

  it.each([
    ['korg-gcc', 'korg-gcc'],
    ['--volume=/src:/src:ro', '--volume=/src:/src:ro'],
    ['a b', "'a b'"],
    ["it's", `'it'\\''s'`],
    ['', "''"],
  ])('quoteWord(%j) → %s', (word, quoted) => {
    expect(quoteWord(word)).toBe(quoted);
  });
});
