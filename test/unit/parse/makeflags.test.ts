import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAssignment, parseMakeflags, splitMakeflagsWords, type ParsedMakeflags } from '../../../src/parse/makeflags.js';

const o = (name: string, value: string, op = '=') => ({ name, value, op });
const pipe34 = { style: 'pipe', readFd: 3, writeFd: 4 } as const;
const none: ParsedMakeflags = { flags: [], jobs: { kind: 'default' }, overrides: [], silent: false };

// What GNU make 4.3 put in a recipe's $MAKEFLAGS for each command line (captured
// on this machine with `all: ; +@printf '%s' "$$MAKEFLAGS" > "$$OUT"`).
// `typed` is make's argv exactly as the shell handed it over.
const MAKE_43: { typed: string[]; makeflags: string; parsed: ParsedMakeflags }[] = [
  {
    typed: ['-s', '-k', '-j3', 'O=/tmp/a', "KCFLAGS=-O2 -DFOO='a b' $$x \\\\", 'V=1'],
    makeflags: String.raw`ks -j3 --jobserver-auth=3,4 -- V=1 KCFLAGS=-O2\ -DFOO='a\ b'\ $$$$x\ \\\\ O=/tmp/a`,
    parsed: {
      flags: ['-ks'],
      jobs: { kind: 'count', count: 3 },
      jobserver: pipe34,
      overrides: [o('O', '/tmp/a'), o('KCFLAGS', "-O2 -DFOO='a b' $$x \\\\"), o('V', '1')],
      silent: true,
    },
  },
  { typed: ['-j'], makeflags: ' -j', parsed: { ...none, jobs: { kind: 'unlimited' } } },
  { typed: ['-i', '-n', '-q', '-t', '-B', '-e'], makeflags: 'Beinqt', parsed: { ...none, flags: ['-Beinqt'] } },
  { typed: ['-I', 'dir'], makeflags: ' -Idir', parsed: { ...none, flags: ['-Idir'] } },
  { typed: ['-l', '3'], makeflags: ' -l3', parsed: { ...none, flags: ['-l3'] } },
  { typed: ['-Otarget'], makeflags: ' -Otarget', parsed: { ...none, flags: ['-Otarget'] } },
  { typed: ['-O'], makeflags: ' -Otarget', parsed: { ...none, flags: ['-Otarget'] } },
  { typed: ['--no-print-directory'], makeflags: ' --no-print-directory', parsed: { ...none, flags: ['--no-print-directory'] } },
  { typed: ['--debug=b'], makeflags: ' --debug=b', parsed: { ...none, flags: ['--debug=b'] } },
  {
    typed: ['--trace', '--warn-undefined-variables'],
    makeflags: ' --trace --warn-undefined-variables',
    parsed: { ...none, flags: ['--trace', '--warn-undefined-variables'] },
  },
  { typed: ['-w', '-r', '-R', '-L'], makeflags: 'LrRw', parsed: { ...none, flags: ['-LrRw'] } },
  { typed: ['-k', '-E', 'x:=1'], makeflags: 'k --eval=x:=1', parsed: { ...none, flags: ['-k', '--eval=x:=1'] } },
  {
    typed: ['-j4', '-l2.5', '--output-sync=line'],
    makeflags: ' -j4 -l2.5 -Oline --jobserver-auth=3,4',
    parsed: { ...none, flags: ['-l2.5', '-Oline'], jobs: { kind: 'count', count: 4 }, jobserver: pipe34 },
  },
  { typed: ['--jobs=5', '-S'], makeflags: ' -j5 --jobserver-auth=3,4', parsed: { ...none, jobs: { kind: 'count', count: 5 }, jobserver: pipe34 } },
  {
    typed: ['-s', '--no-print-directory', '-j4', 'V=1'],
    makeflags: 's -j4 --jobserver-auth=3,4 --no-print-directory -- V=1',
    parsed: { flags: ['-s', '--no-print-directory'], jobs: { kind: 'count', count: 4 }, jobserver: pipe34, overrides: [o('V', '1')], silent: true },
  },
  // Make folds `+=` and `?=` into `=`, and `::=` into `:=`; the value stays as typed.
  { typed: ['X:=1', 'Y+=2'], makeflags: ' -- Y=2 X:=1', parsed: { ...none, overrides: [o('X', '1', ':='), o('Y', '2')] } },
  { typed: ['Z?=3', 'X::=4'], makeflags: ' -- X:=4 Z=3', parsed: { ...none, overrides: [o('Z', '3'), o('X', '4', ':=')] } },
  {
    typed: ['A=$x', 'B=$$y', 'C=a\\b', 'E=tab\tx', 'F=:colon', 'G=a#b'],
    makeflags: ' -- G=a#b F=:colon E=tab\\\tx C=a\\\\b B=$$$$y A=$$x',
    parsed: { ...none, overrides: [o('A', '$x'), o('B', '$$y'), o('C', 'a\\b'), o('E', 'tab\tx'), o('F', ':colon'), o('G', 'a#b')] },
  },
  { typed: ['N=a\nb'], makeflags: ' -- N=a\nb', parsed: { ...none, overrides: [o('N', 'a\nb')] } },
  {
    typed: ['CONTAINER=korg-gcc', 'CONTAINER_ARGS=-v /a:/b'],
    makeflags: ' -- CONTAINER_ARGS=-v\\ /a:/b CONTAINER=korg-gcc',
    parsed: { ...none, overrides: [o('CONTAINER', 'korg-gcc'), o('CONTAINER_ARGS', '-v /a:/b')] },
  },
  { typed: ['-k', '--', 'V=1'], makeflags: 'k -- V=1', parsed: { ...none, flags: ['-k'], overrides: [o('V', '1')] } },
  { typed: ['V=1', 'V=2'], makeflags: ' -- V=2', parsed: { ...none, overrides: [o('V', '2')] } },
  { typed: [], makeflags: '', parsed: none },
];

// The GNU make 4.4 format: a named pipe instead of inherited file descriptors.
// Make 4.3 rejects --jobserver-style, so these rows are written by hand from the 4.4 manual.
const MAKE_44: { makeflags: string; parsed: ParsedMakeflags }[] = [
  {
    makeflags: 'ks -j8 --jobserver-auth=fifo:/tmp/GMfifo123 -- V=1',
    parsed: { flags: ['-ks'], jobs: { kind: 'count', count: 8 }, jobserver: { style: 'fifo', path: '/tmp/GMfifo123' }, overrides: [o('V', '1')], silent: true },
  },
  {
    makeflags: ' -j --jobserver-auth=fifo:/tmp/GMfifo123',
    parsed: { ...none, jobs: { kind: 'unlimited' }, jobserver: { style: 'fifo', path: '/tmp/GMfifo123' } },
  },
  // How the outer make built its pool is not forwarded: the inner make joins that pool.
  {
    makeflags: ' -j2 --jobserver-style=pipe --jobserver-auth=5,6',
    parsed: { ...none, jobs: { kind: 'count', count: 2 }, jobserver: { style: 'pipe', readFd: 5, writeFd: 6 } },
  },
  {
    makeflags: 'k -j2 --jobserver-style=fifo --jobserver-auth=fifo:/tmp/GMfifo9',
    parsed: { ...none, flags: ['-k'], jobs: { kind: 'count', count: 2 }, jobserver: { style: 'fifo', path: '/tmp/GMfifo9' } },
  },
  // make 4.1/4.2 spelled it --jobserver-fds.
  { makeflags: ' -j2 --jobserver-fds=3,4', parsed: { ...none, jobs: { kind: 'count', count: 2 }, jobserver: pipe34 } },
];

describe('parseMakeflags', () => {
  it.each(MAKE_43)('make 4.3 $typed → $makeflags', ({ makeflags, parsed }) => {
    expect(parseMakeflags(makeflags)).toEqual(parsed);
  });

  it.each(MAKE_43.filter((r) => r.parsed.overrides.length > 0))('$typed: every override value is exactly what was typed', ({ typed, makeflags }) => {
    const last = new Map(typed.map((w) => [w.slice(0, w.search(/[:+?]*=/)), w.slice(w.indexOf('=') + 1)]));
    for (const { name, value } of parseMakeflags(makeflags).overrides) expect(value).toBe(last.get(name));
  });

  it.each(MAKE_44)('make 4.4 $makeflags', ({ makeflags, parsed }) => {
    expect(parseMakeflags(makeflags)).toEqual(parsed);
  });
});

// Guards the fixtures above: they must be what this machine's make 4.3 really writes.
describe.runIf(installedMake().startsWith('GNU Make 4.3'))('the MAKEFLAGS fixtures match the installed make', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-makeflags-'));
  fs.writeFileSync(path.join(dir, 'Makefile'), 'all:\n\t+@printf \'%s\' "$$MAKEFLAGS" > "$$MAKEFLAGS_OUT"\n');
  fs.mkdirSync(path.join(dir, 'dir'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(MAKE_43)('make $typed', ({ typed, makeflags }) => {
    const out = path.join(dir, 'out');
    try {
      execFileSync('make', ['-f', path.join(dir, 'Makefile'), ...typed], {
        cwd: dir,
        env: { ...process.env, MAKEFLAGS: '', MAKEFLAGS_OUT: out },
        stdio: 'ignore',
      });
    } catch {
      // -q exits 1 when the goal is out of date; MAKEFLAGS is written regardless
    }
    expect(fs.readFileSync(out, 'utf8')).toBe(makeflags);
  });
});

describe('splitMakeflagsWords', () => {
  it.each([
    ['', []],
    ['   ', []],
    ['a b\tc', ['a', 'b', 'c']],
    [String.raw`A=x\ y`, ['A=x y']],
    [String.raw`A=\\`, ['A=\\']],
    ['A=$$$$x', ['A=$$x']],
    ['A=$x', ['A=$x']],
    ['A=\\\tb', ['A=\tb']],
    ['A=a\nb', ['A=a\nb']],
  ])('%j → %j', (text, words) => {
    expect(splitMakeflagsWords(text)).toEqual(words);
  });
});

describe('parseAssignment', () => {
  it.each([
    ['V=1', o('V', '1')],
    ['V=', o('V', '')],
    ['K=a=b', o('K', 'a=b')],
    ['X==a', o('X', '=a')],
    ['X:=1', o('X', '1', ':=')],
    ['X::=1', o('X', '1', '::=')],
    ['Y+=2', o('Y', '2', '+=')],
    ['Z?=3', o('Z', '3', '?=')],
    ['W!=echo hi', o('W', 'echo hi', '!=')],
    ['KCFLAGS=-DA=1 -DB', o('KCFLAGS', '-DA=1 -DB')],
    ['bzImage', undefined],
    ['-j8', undefined],
    ['=x', undefined],
  ])('%j', (word, expected) => {
    expect(parseAssignment(word)).toEqual(expected);
  });
});

function installedMake(): string {
  try {
    return execFileSync('make', ['--version'], { encoding: 'utf8' });
  } catch {
    return '';
  }
}
