import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import {
  type BuildRecord,
  checkMailAddress,
  commitToQueue,
  composeMail,
  duration,
  formatStatus,
  hookScript,
  isOurHook,
  parseRefUpdates,
  parseRegistry,
  pushedTags,
  reconcile,
  supersede,
  tail,
} from '../../../src/hook/decide.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const Z = '0'.repeat(40);

function record(commit: string, state: BuildRecord['state'], extra: Partial<BuildRecord> = {}): BuildRecord {
  return {
    commit,
    subject: `subject ${commit[0]}`,
    state,
    queuedAt: `2026-11-30T10:00:0${commit === A ? 1 : commit === B ? 2 : 3}.000Z`,
    tags: [],
    log: `/r/logs/${commit}.log`,
    ...extra,
  };
}

describe('post-receive input', () => {
  it('parses what git writes, one update per line', () => {
    expect(parseRefUpdates(`${Z} ${A} refs/heads/main\n${A} ${B} refs/tags/v1\n`)).toEqual([
      { old: Z, new: A, ref: 'refs/heads/main' },
      { old: A, new: B, ref: 'refs/tags/v1' },
    ]);
  });

  it.each(['garbage', `${A} ${B}`, `${A} ${B} refs/heads/main extra`, `${A.slice(1)} ${B} refs/heads/main`])('refuses %j', (line) => {
    expect(() => parseRefUpdates(line)).toThrow(UserError);
  });

  it.each([
    ['the watched branch moved', [{ old: A, new: B, ref: 'refs/heads/main' }], 'main', B],
    ['another branch moved', [{ old: A, new: B, ref: 'refs/heads/next' }], 'main', undefined],
    ['a tag', [{ old: Z, new: B, ref: 'refs/tags/main' }], 'main', undefined],
    ['the branch was deleted', [{ old: A, new: Z, ref: 'refs/heads/main' }], 'main', undefined],
    ['a branch whose name only ends like it', [{ old: A, new: B, ref: 'refs/heads/x/main' }], 'main', undefined],
    [
      'one push with several refs',
      [
        { old: A, new: B, ref: 'refs/heads/next' },
        { old: Z, new: C, ref: 'refs/heads/next2' },
        { old: A, new: C, ref: 'refs/heads/next' },
      ],
      'next',
      C,
    ],
  ] as const)('%s', (_what, updates, branch, expected) => {
    expect(commitToQueue([...updates], branch)).toBe(expected);
  });
});

describe('--registry', () => {
  it.each([
    ['127.0.0.1:5000/kernel', { host: '127.0.0.1:5000', namespace: 'kernel', loopback: true }],
    ['localhost:5000/a/b', { host: 'localhost:5000', namespace: 'a/b', loopback: true }],
    ['registry.kernel.org/toolchains', { host: 'registry.kernel.org', namespace: 'toolchains', loopback: false }],
    ['10.0.0.1:443/k', { host: '10.0.0.1:443', namespace: 'k', loopback: false }],
  ])('%s', (value, expected) => {
    expect(parseRegistry(value)).toEqual(expected);
  });

  it.each([
    'http://127.0.0.1:5000/k',
    'registry.kernel.org',
    'kernel',
    'host.example/UPPER',
    'host.example/a:tag',
    'host.example/a b',
    'bad_host.example/k',
    '',
  ])('refuses %j with one line', (value) => {
    const err = (() => {
      try {
        parseRegistry(value);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(UserError);
    expect(err!.message).toContain(`--registry '${value}'`);
    expect(err!.message).not.toContain('\n');
  });
});

describe('the hook script', () => {
  it('hands over to the CLI with every path quoted, and is recognised as ours', () => {
    const text = hookScript('/usr/bin/node', "/opt/it's/cli.cjs", '/srv/git/images.git');
    expect(text.split('\n')[0]).toBe('#!/bin/sh');
    expect(text).toContain(`exec /usr/bin/node '/opt/it'\\''s/cli.cjs' hook post-receive /srv/git/images.git\n`);
    expect(isOurHook(text)).toBe(true);
  });

  it.each(['#!/bin/sh\necho theirs\n', '', '# kbuild-container post-receive hook\n'])('someone else’s hook is not ours: %j', (text) => {
    expect(isOurHook(text)).toBe(false);
  });
});

describe('the queue', () => {
  it('a claimed commit supersedes every other queued one and touches nothing else', () => {
    const records = [record(A, 'queued'), record(B, 'pushed'), record(C, 'queued')];
    const after = supersede(records, C);
    expect(after.map((r) => r.state)).toEqual(['superseded', 'pushed', 'queued']);
    expect(after[0].reason).toBe(`superseded by ${C.slice(0, 12)}`);
    expect(after[1]).toBe(records[1]);
  });

  it('a build whose worker died, or ran before a reboot, is failed; a live one stays building', () => {
    const now = new Date('2026-11-30T11:00:00Z');
    const records = [
      record(A, 'building', { pid: 10, bootId: 'boot1' }),
      record(B, 'building', { pid: 11, bootId: 'boot1' }),
      record(C, 'building', { pid: 10, bootId: 'boot0' }),
    ];
    const after = reconcile(records, (pid) => pid === 10, 'boot1', now);
    expect(after.map((r) => r.state)).toEqual(['building', 'failed', 'failed']);
    expect(after[1]).toMatchObject({ end: now.toISOString(), reason: 'the build was killed before it finished' });
  });
});

describe('reporting', () => {
  it('reads pushed tags from the PUSH lines only', () => {
    const log = [
      '  BUILD   korg-gcc:12-x86',
      '  TAG     korg-gcc:12',
      '  PUSH    127.0.0.1:5000/k/korg-gcc:12',
      'make: PUSH nothing',
      '  PUSH    127.0.0.1:5000/k/korg-gcc',
    ].join('\n');
    expect(pushedTags(log)).toEqual(['127.0.0.1:5000/k/korg-gcc:12', '127.0.0.1:5000/k/korg-gcc']);
  });

  it.each([
    [undefined, undefined, ''],
    ['2026-11-30T10:00:00Z', undefined, ''],
    ['2026-11-30T10:00:00Z', '2026-11-30T10:00:42Z', '42s'],
    ['2026-11-30T10:00:00Z', '2026-11-30T10:03:05Z', '3m05s'],
  ])('duration %s .. %s', (start, end, expected) => {
    expect(duration(start, end)).toBe(expected);
  });

  it('the status table has one aligned row per commit, oldest first', () => {
    const text = formatStatus([
      record(B, 'pushed', { start: '2026-11-30T10:00:05.123Z', end: '2026-11-30T10:01:10.000Z', tags: ['r/k/a:1', 'r/k/a'] }),
      record(A, 'failed', { start: '2026-11-30T10:00:01.000Z', end: '2026-11-30T10:00:03.000Z' }),
    ]);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^COMMIT\s+STATE\s+START\s+DURATION\s+TAGS\s+LOG$/);
    expect(lines[1]).toMatch(new RegExp(`^${A.slice(0, 12)}\\s+failed\\s+2026-11-30T10:00:01Z\\s+2s\\s+-\\s+/r/logs/${A}.log$`));
    expect(lines[2]).toMatch(new RegExp(`^${B.slice(0, 12)}\\s+pushed\\s+2026-11-30T10:00:05Z\\s+1m05s\\s+r/k/a:1,r/k/a\\s+/r/logs/${B}.log$`));
    expect(lines[1].indexOf('failed')).toBe(lines[2].indexOf('pushed'));
  });

  it.each([
    ['pushed', 'PASS'],
    ['built', 'PASS'],
    ['failed', 'FAIL'],
  ] as const)('a %s build mails %s with commit, tags and the log tail', (state, verdict) => {
    const mail = composeMail(
      'maint@example.org',
      record(A, state, { tags: ['r/k/a:1'], start: '2026-11-30T10:00:00Z', end: '2026-11-30T10:00:09Z' }),
      '/srv/x.git',
      'line 1\nline 2\n',
    );
    const [headers, body] = mail.split('\n\n', 2);
    expect(headers.split('\n')).toEqual([
      'To: maint@example.org',
      `Subject: [kbuild-container] ${verdict} ${A.slice(0, 12)} subject a`,
      'Content-Type: text/plain; charset=utf-8',
    ]);
    expect(body).toContain(`Commit:     ${A}`);
    expect(body).toContain('Tags:       r/k/a:1');
    expect(mail).toMatch(/line 1\nline 2\n$/);
  });

  it('a subject cannot add a header', () => {
    const mail = composeMail('root', record(A, 'failed', { subject: 'x\nBcc: everyone' }), '/r', '');
    expect(mail.split('\n\n')[0].split('\n')).toHaveLength(3);
  });

  it('tail keeps the last lines', () => {
    expect(tail('a\nb\nc\nd\n', 2)).toBe('c\nd');
    expect(tail('a\n', 5)).toBe('a');
  });

  it.each(['root', 'maint@example.org', 'a.b+c@host'])('%s is a mail address', (a) => expect(checkMailAddress(a)).toBe(a));
  it.each(['a b@x', 'a@b,c@d', 'x\nBcc: y', '<a@b>', ''])('%j is refused', (a) => expect(() => checkMailAddress(a)).toThrow(UserError));
});
