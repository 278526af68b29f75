import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { parseMakeArgs } from '../../../src/parse/make-args.js';

const CWD = '/src/linux';
const o = (name: string, value: string, op = '=') => ({ name, value, op });
const parse = (...argv: string[]) => parseMakeArgs(argv, CWD);

describe('parseMakeArgs', () => {
  it.each([
    [['-j8'], { kind: 'count', count: 8 }],
    [['-j', '8'], { kind: 'count', count: 8 }],
    [['-j'], { kind: 'unlimited' }],
    [['--jobs=3'], { kind: 'count', count: 3 }],
    [['--jobs', '3'], { kind: 'count', count: 3 }],
    [['--jobs'], { kind: 'unlimited' }],
    [['-ksj'], { kind: 'unlimited' }],
    [['-ksj4'], { kind: 'count', count: 4 }],
    [['-j2', '-j5'], { kind: 'count', count: 5 }],
    [['bzImage'], { kind: 'default' }],
  ])('%j → jobs %j', (argv, jobs) => {
    expect(parse(...argv).jobs).toEqual(jobs);
  });

  // -j's count is optional: a word that is not a number stays a goal.
  it('-j followed by a goal', () => {
    expect(parse('-j', 'bzImage')).toMatchObject({ jobs: { kind: 'unlimited' }, goals: ['bzImage'] });
  });

  it.each([
    [['-C', 'build'], '/src/linux/build'],
    [['-Cbuild'], '/src/linux/build'],
    [['--directory=build'], '/src/linux/build'],
    [['--directory', 'build'], '/src/linux/build'],
    [['-C', 'a', '-C', 'b'], '/src/linux/a/b'],
    [['-C', 'a', '-C', '..'], '/src/linux'],
    [['-C', '/abs', '-C', 'rel'], '/abs/rel'],
    [['-sCbuild'], '/src/linux/build'],
    [[], '/src/linux'],
  ])('%j → cwd %s', (argv, cwd) => {
    expect(parse(...argv).cwd).toBe(cwd);
  });

  it.each([
    [['-k', '-s'], ['-ks'], true],
    [['-ks'], ['-ks'], true],
    [['-sk', '-k'], ['-sk'], true],
    [['-k', '-Idir', '-B'], ['-kB', '-Idir'], false],
    [['-I', 'include'], ['-Iinclude'], false],
    [['-l', '3'], ['-l3'], false],
    [['-Oline'], ['-Oline'], false],
    [['-O'], ['-O'], false],
    [['-W', 'init/main.c'], ['-Winit/main.c'], false],
    [['--what-if', 'init/main.c'], ['--what-if=init/main.c'], false],
    [['--silent'], ['--silent'], true],
    [['--quiet'], ['--quiet'], true],
    [['--no-print-directory', '--debug=b'], ['--no-print-directory', '--debug=b'], false],
    [['-ksCdir'], ['-ks'], true],
  ])('%j → flags %j, silent %s', (argv, flags, silent) => {
    expect(parse(...argv)).toMatchObject({ flags, silent });
  });

  it.each([
    [['-f', 'Makefile'], /-f cannot be forwarded/],
    [['-fMakefile'], /-f cannot be forwarded/],
    [['-kf', 'x'], /-f cannot be forwarded/],
    [['--file=x'], /--file cannot be forwarded/],
    [['--makefile', 'x'], /--makefile cannot be forwarded/],
    [['-C'], /'-C' requires an argument/],
    [['--directory'], /'--directory' requires an argument/],
    [['-I'], /'-I' requires an argument/],
    // As make: "the '-j' option requires a positive integer argument".
    [['-kjs'], /invalid -j argument 's'/],
  ])('%j is refused', (argv, message) => {
    expect(() => parse(...argv)).toThrow(UserError);
    expect(() => parse(...argv)).toThrow(message);
  });

  it.each([
    [
      ['V=1', 'O=out', 'bzImage', 'modules'],
      [o('V', '1'), o('O', 'out')],
      ['bzImage', 'modules'],
    ],
    [['modules', 'V=1', 'bzImage'], [o('V', '1')], ['modules', 'bzImage']],
    [['clean', 'all', 'clean'], [], ['clean', 'all', 'clean']],
    [['X:=1', 'Y+=2', 'Z?=3', 'W!=date'], [o('X', '1', ':='), o('Y', '2', '+='), o('Z', '3', '?='), o('W', 'date', '!=')], []],
    [["KCFLAGS=-O2 -DFOO='a b'", 'KCFLAGS=2'], [o('KCFLAGS', "-O2 -DFOO='a b'"), o('KCFLAGS', '2')], []],
    [['--', '-j', 'V=1', 'x'], [o('V', '1')], ['-j', 'x']],
    [['-k', '--', '-s'], [], ['-s']],
    [['-'], [], ['-']],
  ])('%j → overrides %j, goals %j', (argv, overrides, goals) => {
    expect(parse(...argv)).toMatchObject({ overrides, goals });
  });

  it('words after -- are not options', () => {
    expect(parse('--', '-C', 'x', '-f')).toEqual({ flags: [], jobs: { kind: 'default' }, overrides: [], silent: false, goals: ['-C', 'x', '-f'], cwd: CWD });
  });
});
