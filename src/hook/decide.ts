// The pure half of the push hook: what a push queues, what the queue builds
// next, what a killed build becomes, and what the pusher and the mail say.
// Nothing here touches a file or a process (see run.ts for that).
import { UserError } from '../errors.js';
import { quoteWord } from '../plan/shell-words.js';

/** One line of what git feeds a post-receive hook: `OLD NEW REFNAME`. */
export interface RefUpdate {
  old: string;
  new: string;
  ref: string;
}

/** A build's life: queued by a push, then building, then pushed (built, with no registry) or failed; a newer push supersedes a queued one. */
export type BuildState = 'queued' | 'building' | 'built' | 'pushed' | 'failed' | 'superseded';

/** What `hook status` shows of one pushed commit. */
export interface BuildRecord {
  commit: string;
  subject: string;
  state: BuildState;
  queuedAt: string;
  start?: string;
  end?: string;
  tags: string[];
  log: string;
  /** The worker building it, so a killed build is told from a running one. */
  pid?: number;
  bootId?: string;
  reason?: string;
}

/** The settings `hook install` writes beside the hook. */
export interface HookConfig {
  branch: string;
  registry?: string;
  plainHttp: boolean;
  mailTo?: string;
  /** Directory of the images Makefile inside a checkout of the pushed commit. */
  imagesDir: string;
  /** Images to build (IMAGES= of the images Makefile: names or tags); empty means the default set. */
  images: string[];
  /** PREFIX= for the images' names. */
  prefix: string;
  /** The sendmail the report goes through (default /usr/sbin/sendmail). */
  sendmail?: string;
}

// The first line git writes into our hook, and how uninstall knows the hook is ours.
export const HOOK_SIGNATURE = '# kbuild-container post-receive hook';

const ZERO = /^0+$/;
const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** Parse post-receive's standard input; a line that is not `OLD NEW REF` is an error (git never writes one). */
export function parseRefUpdates(text: string): RefUpdate[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [oldSha, newSha, ref, extra] = line.trim().split(/\s+/);
      if (!SHA.test(oldSha ?? '') || !SHA.test(newSha ?? '') || !ref || extra !== undefined) {
        throw new UserError(`post-receive: unexpected input line '${line}' (expected OLD NEW REFNAME)`);
      }
      return { old: oldSha, new: newSha, ref };
    });
}

/** The commit a push queues: the new tip of the watched branch, unless the push deleted it. */
export function commitToQueue(updates: RefUpdate[], branch: string): string | undefined {
  const ref = `refs/heads/${branch}`;
  let commit: string | undefined;
  for (const u of updates) if (u.ref === ref) commit = ZERO.test(u.new) ? undefined : u.new;
  return commit;
}

/** A registry as `--registry` takes it: `host[:port]/namespace[/more]`, no scheme, no tag. */
export interface Registry {
  host: string;
  namespace: string;
  loopback: boolean;
}

const HOST = /^(?:localhost|\[::1\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+)(?::[0-9]{1,5})?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Check `--registry` and say what it is; a scheme, a tag or a bare name is refused. */
export function parseRegistry(value: string): Registry {
  const bad = (why: string) => new UserError(`--registry '${value}': ${why} (expected host[:port]/namespace, e.g. 127.0.0.1:5000/kernel)`);
  if (/^[a-z]+:\/\//i.test(value)) throw bad('no scheme: the engine picks https, or http with --plain-http');
  const [host, ...rest] = value.split('/');
  if (!HOST.test(host ?? '')) throw bad(`'${host}' is not a registry host`);
  if (rest.length === 0 || rest.some((c) => !PATH_COMPONENT.test(c))) throw bad('the namespace must be lower-case path components');
  const bare = host.replace(/:[0-9]+$/, '');
  return { host, namespace: rest.join('/'), loopback: bare === 'localhost' || bare === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(bare) };
}

/** The few lines written into BARE_REPO/hooks/post-receive: everything else happens in the CLI. */
export function hookScript(node: string, cli: string, repo: string): string {
  return [
    '#!/bin/sh',
    HOOK_SIGNATURE,
    '# Queues an image build for the pushed commit and returns at once.',
    `# Remove with: kbuild-container hook uninstall ${quoteWord(repo)}`,
    `exec ${quoteWord(node)} ${quoteWord(cli)} hook post-receive ${quoteWord(repo)}`,
    '',
  ].join('\n');
}

/** Whether a post-receive hook's text is one `hookScript` wrote. */
export function isOurHook(text: string): boolean {
  return text.split('\n')[1] === HOOK_SIGNATURE;
}

/** The queue after the worker claims `commit`: every other commit still queued is superseded by it. */
export function supersede(records: BuildRecord[], commit: string): BuildRecord[] {
  return records.map((r) => (r.state === 'queued' && r.commit !== commit ? { ...r, state: 'superseded', reason: `superseded by ${commit.slice(0, 12)}` } : r));
}

/** Builds whose worker is gone (killed, or the machine rebooted) are failed, not building forever. */
export function reconcile(records: BuildRecord[], isAlive: (pid: number) => boolean, bootId: string, now: Date): BuildRecord[] {
  return records.map((r) => {
    if (r.state !== 'building') return r;
    const gone = r.pid === undefined || r.bootId !== bootId || !isAlive(r.pid);
    return gone ? { ...r, state: 'failed', end: now.toISOString(), reason: 'the build was killed before it finished' } : r;
  });
}

/** The tags a run pushed, read from the images Makefile's `  PUSH    NAME` lines. */
export function pushedTags(log: string): string[] {
  const tags: string[] = [];
  for (const m of log.matchAll(/^ {2}PUSH {4}(\S+)\s*$/gm)) tags.push(m[1]);
  return tags;
}

/** Seconds between two ISO times as `1m05s`, or '' while running. */
export function duration(start?: string, end?: string): string {
  if (!start || !end) return '';
  const s = Math.max(0, Math.round((Date.parse(end) - Date.parse(start)) / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** `hook status`: one row per pushed commit, oldest first. */
export function formatStatus(records: BuildRecord[]): string {
  const header = ['COMMIT', 'STATE', 'START', 'DURATION', 'TAGS', 'LOG'];
  const rows = [...records]
    .sort((a, b) => a.queuedAt.localeCompare(b.queuedAt))
    .map((r) => [r.commit.slice(0, 12), r.state, (r.start ?? r.queuedAt).replace(/\.\d+Z$/, 'Z'), duration(r.start, r.end), r.tags.join(',') || '-', r.log]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [header, ...rows].map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

/** The report mail of a finished build, as `sendmail -t` reads it. */
export function composeMail(to: string, record: BuildRecord, repo: string, logTail: string): string {
  const verdict = record.state === 'pushed' || record.state === 'built' ? 'PASS' : 'FAIL';
  const tags = record.tags.length > 0 ? record.tags.join(' ') : '(none pushed)';
  return [
    `To: ${to}`,
    `Subject: [kbuild-container] ${verdict} ${record.commit.slice(0, 12)} ${record.subject.replace(/\s+/g, ' ')}`.slice(0, 200),
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Repository: ${repo}`,
    `Commit:     ${record.commit}`,
    `Result:     ${verdict} (${record.state}${record.reason ? `: ${record.reason}` : ''})`,
    `Duration:   ${duration(record.start, record.end)}`,
    `Tags:       ${tags}`,
    `Log:        ${record.log}`,
    '',
    'Last lines of the log:',
    '',
    logTail.trimEnd(),
    '',
  ].join('\n');
}

/** The last `n` lines of a log. */
export function tail(text: string, n: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(Math.max(0, lines.length - n)).join('\n');
}

/** A mail address as `--mail-to` takes it: one plain address (or a local user), nothing a header could be smuggled in. */
export function checkMailAddress(value: string): string {
  if (!/^[A-Za-z0-9._%+-]+(?:@[A-Za-z0-9.-]+)?$/.test(value))
    throw new UserError(`--mail-to '${value}': not a plain mail address (user@host, or a local user)`);
  return value;
}
