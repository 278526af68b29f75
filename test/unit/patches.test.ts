// patches/ is the upstream RFC series; these checks keep it in step with what
// this repository ships (regenerate with scripts/make-patches.sh). Applying
// and building through it is test/e2e/patches.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '../..');
const PATCHES = path.join(REPO, 'patches');
const INPUTS = path.join(REPO, 'scripts', 'patches');
const AUTHOR = 'kbuild-container developers <kbuild-container@example.invalid>';

const files = fs
  .readdirSync(PATCHES)
  .filter((f) => f.endsWith('.patch'))
  .sort();
const series = files.filter((f) => !f.startsWith('0000-'));
const read = (f: string) => fs.readFileSync(path.join(PATCHES, f), 'utf8');

/** The content of every file a patch creates, as bytes of text, keyed by path. */
function newFiles(patch: string): Map<string, string> {
  const created = new Map<string, string>();
  const lines = patch.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const diff = /^diff --git a\/(\S+) b\/\1$/.exec(lines[i]);
    if (!diff || !lines[i + 1]?.startsWith('new file mode')) continue;
    let j = i + 1;
    while (!lines[j].startsWith('@@')) j++;
    const count = Number(/^@@ -0,0 \+1(?:,(\d+))? @@/.exec(lines[j])?.[1] ?? 1);
    const body = lines.slice(j + 1, j + 1 + count);
    if (!body.every((l) => l.startsWith('+'))) throw new Error(`${diff[1]}: not a single all-added hunk`);
    const noNewline = lines[j + 1 + count]?.startsWith('\\ No newline at end of file');
    created.set(diff[1], body.map((l) => l.slice(1)).join('\n') + (noNewline ? '' : '\n'));
  }
  return created;
}

function header(patch: string, name: string): string {
  const head = patch.slice(0, patch.indexOf('\n\n'));
  // Folded headers continue on lines that start with a blank.
  const m = new RegExp(`^${name}: (.*(?:\\n [^\\n]*)*)`, 'm').exec(head);
  return m ? m[1].replace(/\n /g, ' ') : '';
}

describe('patches/', () => {
  it('is a cover letter and three patches', () => {
    expect(files).toHaveLength(4);
    expect(files[0]).toMatch(/^0000-cover-letter\.patch$/);
  });

  it('ships make/Makefile.container byte for byte as scripts/Makefile.container', () => {
    const created = new Map(series.flatMap((f) => [...newFiles(read(f))]));
    expect(created.has('scripts/Makefile.container')).toBe(true);
    expect(created.get('scripts/Makefile.container')).toBe(fs.readFileSync(path.join(REPO, 'make', 'Makefile.container'), 'utf8'));
  });

  it('ships the documentation as written in scripts/patches/', () => {
    const created = new Map(series.flatMap((f) => [...newFiles(read(f))]));
    expect(created.get('Documentation/dev-tools/container-make.rst')).toBe(fs.readFileSync(path.join(INPUTS, 'container-make.rst'), 'utf8'));
  });

  it.each(fs.readdirSync(INPUTS).filter((f) => f.endsWith('.diff')))('carries the edits of scripts/patches/%s', (diff) => {
    const text = fs.readFileSync(path.join(INPUTS, diff), 'utf8');
    const all = series.map(read).join('\n');
    // Each hunk, up to the next file's header, appears verbatim in the series.
    for (const hunk of text.split(/^(?=@@ )/m).slice(1)) expect(all).toContain(hunk.split(/^diff --git /m)[0]);
  });

  it.each(series)('%s: numbered RFC subject, author and a matching Signed-off-by', (f) => {
    const patch = read(f);
    const n = Number(f.slice(0, 4));
    expect(header(patch, 'Subject')).toMatch(new RegExp(`^\\[RFC PATCH ${n}/3\\] \\S`));
    expect(header(patch, 'From')).toBe(AUTHOR);
    const message = patch.slice(patch.indexOf('\n\n'), patch.indexOf('\n---\n'));
    expect(message.trimEnd().split('\n').at(-1)).toBe(`Signed-off-by: ${AUTHOR}`);
  });

  it('the cover letter is filled in and answers every review point', () => {
    const cover = read(files[0]);
    expect(header(cover, 'Subject')).toMatch(/^\[RFC PATCH 0\/3\] kbuild: /);
    expect(cover).not.toContain('*** SUBJECT HERE ***');
    expect(cover).not.toContain('*** BLURB HERE ***');
    expect(header(cover, 'Content-Type')).toBe('text/plain; charset=UTF-8');
    for (const point of [
      'No -f needed (Miguel Ojeda)',
      'No hard-coded /src path (Miguel Ojeda)',
      'O= and KBUILD_OUTPUT supported (Nathan Chancellor)',
      'uid handling and no leftover containers (Onur Özkan)',
      'Zero impact when CONTAINER is unset',
      'How it relates to scripts/container',
    ]) {
      expect(cover).toContain(`- ${point}`);
    }
  });
});
