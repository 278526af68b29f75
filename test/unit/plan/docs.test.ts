// The documentation goals' decisions (src/plan/docs.ts): the Sphinx check's
// words, and the check itself under a real sh.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildInvocation, type InvocationInput } from '../../../src/parse/invocation.js';
import { parseAssignment } from '../../../src/parse/makeflags.js';
import { sphinxCheck } from '../../../src/plan/docs.js';

function invocation(words: string[], goals: string[], more: Partial<InvocationInput> = {}) {
  const overrides = ['CONTAINER=korg-gcc:12', ...words].map((w) => parseAssignment(w)!);
  return buildInvocation({ cwd: '/src/linux', goals, flags: [], jobs: { kind: 'default' }, overrides, silent: false, env: {}, ...more });
}

describe('sphinxCheck', () => {
  it.each([
    ['htmldocs', [], ['htmldocs'], 'sphinx-build', 'htmldocs'],
    ['pdfdocs after a kernel goal', [], ['bzImage', 'pdfdocs'], 'sphinx-build', 'pdfdocs'],
    ['SPHINXBUILD typed', ['SPHINXBUILD=/opt/sphinx/bin/sphinx-build'], ['htmldocs'], '/opt/sphinx/bin/sphinx-build', 'htmldocs'],
    ['SPHINXBUILD with arguments: its command', ['SPHINXBUILD=python3 -m sphinx'], ['linkcheckdocs'], 'python3', 'linkcheckdocs'],
  ] as const)('%s: the check names the tool and the goal', (_what, words, goals, tool, goal) => {
    const words_ = sphinxCheck(invocation([...words], [...goals]));
    expect(words_.slice(0, 2)).toEqual(['sh', '-c']);
    expect(words_.slice(3)).toEqual([
      'sphinx-check',
      tool,
      `kbuild-container: ${goal} needs ${tool}, which korg-gcc:12 does not have (korg-kdocs, the family's documentation image, has Sphinx)`,
    ]);
  });

  it('SPHINXBUILD from the environment', () => {
    const inv = invocation([], ['htmldocs'], { env: { SPHINXBUILD: '/usr/local/bin/sphinx-build' } });
    expect(sphinxCheck(inv)[4]).toBe('/usr/local/bin/sphinx-build');
  });

  it.each([[['bzImage']], [['cleandocs']], [['refcheckdocs']], [['dochelp']], [[]]])('%j: no check', (goals) => {
    expect(sphinxCheck(invocation([], goals))).toEqual([]);
  });
});

describe('the Sphinx check under sh', () => {
  let bin: string;
  beforeEach(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-docs-'));
  });
  afterEach(() => fs.rmSync(bin, { recursive: true, force: true }));
  const run = (check: string[]) => execa(check[0]!, [...check.slice(1), 'echo', 'make', 'ran'], { reject: false, env: { PATH: `${bin}:/usr/bin:/bin` } });

  it('the tool missing: one line on stderr, exit 2, the command not run', async () => {
    const r = await run(sphinxCheck(invocation(['SPHINXBUILD=kbc-no-such-sphinx'], ['htmldocs'])));
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "kbuild-container: htmldocs needs kbc-no-such-sphinx, which korg-gcc:12 does not have (korg-kdocs, the family's documentation image, has Sphinx)",
    );
  });

  it('the tool present: the command runs, nothing else printed', async () => {
    fs.writeFileSync(path.join(bin, 'kbc-fake-sphinx'), '#!/bin/sh\n', { mode: 0o755 });
    const r = await run(sphinxCheck(invocation(['SPHINXBUILD=kbc-fake-sphinx'], ['htmldocs'])));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('make ran');
    expect(r.stderr).toBe('');
  });
});
