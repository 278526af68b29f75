// A /proc reader: the runner has none (it only ever watches its own children),
// and the benchmark must find processes it did not start: compilers inside
// containers, conmon and shims, others' builds.
import fs from 'node:fs';

/** One process as /proc/PID/stat shows it. */
export interface Proc {
  pid: number;
  comm: string;
  /** R, S, D, Z, ... */
  state: string;
  ppid: number;
  pgid: number;
}

/** Parse /proc/PID/stat; comm may hold spaces and parentheses, so split at the last ')'. */
export function parseStat(pid: number, stat: string): Proc {
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return { pid, comm: stat.slice(stat.indexOf('(') + 1, close), state: fields[0], ppid: Number(fields[1]), pgid: Number(fields[2]) };
}

/** Every process; cmdline, cwd and status are read on demand. */
export function listProcesses(): Proc[] {
  const out: Proc[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    out.push(parseStat(Number(name), stat));
  }
  return out;
}

/** The argument vector, or [] once the process is gone. */
export function cmdline(pid: number): string[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((w, i, a) => w !== '' || i < a.length - 1);
  } catch {
    return [];
  }
}

export function cwdOf(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/** VmHWM (peak resident set) of a process in KiB, or undefined once it is gone. */
export function peakRssKiB(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The processes descending from any process `isRoot` picks, roots included, in one snapshot. */
export function descendants(procs: readonly Proc[], isRoot: (p: Proc) => boolean): Proc[] {
  const children = new Map<number, Proc[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const found: Proc[] = [];
  const stack = procs.filter(isRoot);
  const seen = new Set<number>();
  for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    found.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return found;
}
