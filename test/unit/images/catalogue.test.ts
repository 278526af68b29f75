import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decideImage, familyPrefixes, parseFamily } from '../../../src/images/catalogue.js';

const family = parseFamily(readFileSync(new URL('../../../images/family.conf', import.meta.url), 'utf8'));

describe('parseFamily (the shipped images/family.conf)', () => {
  it('has GCC x86_64 and arm64 and one Clang for an x86_64 host, by default, and planned arm64-host lines', () => {
    const x86 = family.filter((i) => i.host === 'x86_64' && i.set === 'default').map((i) => i.name);
    expect(x86).toEqual(['toolchain-base', 'gcc:14.2-x86-x86', 'gcc:14.2-x86-arm64', 'clang:18.1.8-x86']);
    expect(family.some((i) => i.host === 'aarch64' && i.kind === 'gcc')).toBe(true);
  });

  it('names no tag twice for one host', () => {
    for (const host of ['x86_64', 'aarch64']) {
      const names = family.filter((i) => i.host === host).flatMap((i) => [i.name, ...i.tags]);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('gives every compiler a base line of its suite', () => {
    for (const i of family.filter((f) => f.kind !== 'base'))
      expect(family.some((b) => b.kind === 'base' && b.host === i.host && b.suite === i.suite)).toBe(true);
  });

  it.each([
    ['gcc x 1', /1: 3 columns, 10 expected/],
    ['tool a x86_64 - - trixie - - - default', /unknown kind 'tool'/],
    ['gcc a x86_64 x86_64 1 trixie gcc - - sometimes', /set must be default or extra/],
  ])('refuses %j', (line, message) => {
    expect(() => parseFamily(line)).toThrow(message);
  });

  it('has a kselftest image: GCC plus clang, pahole and bpftool for the BPF selftests, from Debian', () => {
    const k = family.find((i) => i.kind === 'kselftest' && i.host === 'x86_64');
    expect(k?.korg).toBeUndefined();
    expect(k?.debian).toEqual(expect.arrayContaining(['gcc-12', 'clang', 'llvm', 'lld', 'dwarves', 'bpftool', 'libelf-dev']));
  });

  it('has a kdocs image: Debian Sphinx with the version sphinx-build reports', () => {
    const k = family.find((i) => i.kind === 'kdocs' && i.host === 'x86_64');
    expect(k?.korg).toBeUndefined();
    expect(k?.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(k?.name).toBe(`kdocs:${k?.version.split('.').slice(0, 2).join('.')}-x86`);
    expect(k?.debian).toEqual(expect.arrayContaining(['python3-sphinx', 'python3-yaml']));
  });

  it("has a kunit image: Debian's GCC 12 (User-Mode Linux links against libc) and Python for kunit.py, on bookworm", () => {
    const k = family.find((i) => i.kind === 'kunit' && i.host === 'x86_64');
    expect([k?.suite, k?.korg, k?.set]).toEqual(['bookworm', undefined, 'extra']);
    expect(k?.debian).toEqual(['gcc-12', 'python3']);
  });

  it('reads lists and dashes', () => {
    expect(parseFamily('# c\n\ngcc gcc:1-x86-x86 x86_64 x86_64 1.0 sid a,b - t1,t2 extra')[0]).toEqual({
      kind: 'gcc',
      name: 'gcc:1-x86-x86',
      host: 'x86_64',
      target: 'x86_64',
      version: '1.0',
      suite: 'sid',
      debian: ['a', 'b'],
      korg: undefined,
      tags: ['t1', 't2'],
      set: 'extra',
    });
  });
});

describe('decideImage', () => {
  const prefixes = ['korg-', 'kernel.org/'];
  it.each([
    ['korg-gcc', 'gcc:14.2-x86-x86'],
    ['korg-gcc:latest', 'gcc:14.2-x86-x86'],
    ['localhost/korg-gcc', 'gcc:14.2-x86-x86'],
    ['korg-gcc:14', 'gcc:14.2-x86-x86'],
    ['korg-gcc:14.2-x86-x86', 'gcc:14.2-x86-x86'],
    ['korg-gcc:14-arm64', 'gcc:14.2-x86-arm64'],
    ['korg-gcc:arm64', 'gcc:14.2-x86-arm64'],
    ['korg-gcc:12', 'gcc:12.2-x86-x86'],
    ['korg-gcc:12-arm64', 'gcc:12.2-x86-arm64'],
    ['korg-clang', 'clang:18.1.8-x86'],
    ['korg-clang:14', 'clang:14.0.6-x86'],
    ['kernel.org/gcc:14', 'gcc:14.2-x86-x86'],
    ['korg-kselftest', 'kselftest:12.2-x86'],
    ['korg-kselftest:x86', 'kselftest:12.2-x86'],
    ['korg-kselftest:12.2-x86', 'kselftest:12.2-x86'],
    ['korg-kdocs', 'kdocs:8.1-x86'],
    ['korg-kdocs:8.1', 'kdocs:8.1-x86'],
    ['korg-gcc:kunit', 'kunit:12.2-x86'],
    ['korg-kunit', 'kunit:12.2-x86'],
    ['korg-kunit:12.2-x86', 'kunit:12.2-x86'],
  ])('%s is the family member %s', (ref, name) => {
    const d = decideImage(ref, family, prefixes, 'x86_64');
    expect(d.kind).toBe('member');
    if (d.kind === 'member') expect(d.image.name).toBe(name);
  });

  it.each([
    ['korg-gcc:99', 'other'],
    ['korg-toolchain-base', 'other'],
    ['gcc:14', 'other'],
    ['debian:trixie', 'other'],
    ['korg-gcc-trixie', 'other'],
    ['registry.example/kernel/gcc:14', 'registry'],
    ['127.0.0.1:5000/korg-gcc', 'registry'],
    ['docker.io/library/debian:trixie-slim', 'registry'],
  ])('%s is %s', (ref, kind) => {
    expect(decideImage(ref, family, prefixes, 'x86_64').kind).toBe(kind);
  });

  it('takes the arm64 host lines on an arm64 host', () => {
    const d = decideImage('korg-gcc', family, ['korg-'], 'aarch64');
    expect(d.kind === 'member' && d.image.name).toBe('gcc:14.2-arm64-arm64');
  });
});

describe('familyPrefixes', () => {
  it.each([
    [{}, ['korg-']],
    [{ CONTAINER_IMAGES_PREFIX: 'my- registry.example/k/' }, ['my-', 'registry.example/k/']],
    [{ CONTAINER_IMAGES_PREFIX: ' ' }, ['korg-']],
  ])('%j -> %j', (env, want) => {
    expect(familyPrefixes(env)).toEqual(want);
  });
});
