import { describe, expect, it } from 'vitest';
import { locateKey } from '../../../src/parse/toml-lines.js';

describe('locateKey', () => {
  it.each([
    ['plain key', '[DEFAULT]\nimage = "a"\n', ['DEFAULT'], 'image', 2],
    ['same key in an earlier table is skipped', '[a]\nimage = "1"\n[b]\nimage = "2"\n', ['b'], 'image', 4],
    ['quoted key', "[DEFAULT]\n'uid' = 1\n", ['DEFAULT'], 'uid', 2],
    ['dotted table header', '[DEFAULT]\n[DEFAULT.x]\n', ['DEFAULT'], 'x', 2],
    ['falls back to the table line', '[p]\n', ['p'], 'missing', 1],
    ['top-level key', 'a = 1\n[t]\nb = 2\n', [], 'a', 1],
    ['nowhere', 'a = 1\n', ['t'], 'k', undefined],
  ])('%s', (_name, text, table, key, line) => {
    expect(locateKey(text, table, key)).toBe(line);
  });
});
