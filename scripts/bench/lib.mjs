// Building blocks of the benchmark: a shared clock, timed child processes,
// robust statistics, and a /proc reader that tells our processes from others'.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

/** Milliseconds since the epoch, sub-millisecond; the runner's probe uses the same clock. */
export const now = () => performance.timeOrigin + performance.now();

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Children run() has started and that have not exited: the benchmark stops them when it is stopped. */
export const liveChildren = new Set();

/** Set when the benchmark is being stopped: run() starts nothing any more. */
export const stopping = { now: false };

/**
 * Run a command to its end and time it: from just before spawn to the 'exit' event.
 * stdout goes to /dev/null unless `capture`; the last 8 KiB of stderr are kept for errors.
 */
export function run(file, args, { cwd, env, capture = false, detached = false, onStart, cleanup = false } = {}) {
  if (stopping.now && !cleanup) return Promise.reject(new Error('the benchmark is stopping'));
  return new Promise((resolve, reject) => {
    const start = now();
    const child = spawn(file, args, { cwd, env, detached, stdio: ['ignore', capture ? 'pipe' : 'ignore', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let end;
    let status;
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8192)));
    child.once('error', (err) => reject(Object.assign(err, { message: `${err.message} (${[file, ...args].join(' ')}${cwd ? ` in ${cwd}` : ''})` })));
    liveChildren.add(child);
    child.once('exit', (code, signal) => {
      liveChildren.delete(child);
      end = now();
      status = { code, signal };
    });
    child.once('close', () => resolve({ ms: end - start, start, end, pid: child.pid, ...status, stdout, stderr }));
    onStart?.(child, start);
  });
}

/** Like run(), but a non-zero exit is an error that carries the command and its stderr. */
export async function runOk(file, args, options) {
  const r = await run(file, args, options);
  if (r.code !== 0) {
    const err = new Error(`${[file, ...args].join(' ')} exited ${r.code ?? r.signal}: ${lastLines(r.stderr, 6)}`);
    err.result = r;
    throw err;
  }
  return r;
}

export function lastLines(text, n) {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** Median, quartiles (linear interpolation), extremes: robust figures for a noisy machine. */
export function summarize(values) {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const q = (p) => {
    if (xs.length === 0) return NaN;
    const i = (xs.length - 1) * p;
    const lo = Math.floor(i);
    return xs[lo] + (xs[Math.ceil(i)] - xs[lo]) * (i - lo);
  };
  return { n: xs.length, median: q(0.5), q1: q(0.25), q3: q(0.75), min: xs[0] ?? NaN, max: xs.at(-1) ?? NaN };
}

/**
 * Time commands in alternation: `warmup` untimed rounds, then `runs` rounds in
 * which the order is rotated every round, so drift and position effects hit
 * every command alike (hyperfine runs all of one command before the next).
 * Each command is `(round) => Promise<{ms}>`.
 */
export async function alternate(commands, { runs, warmup, log }) {
  const names = Object.keys(commands);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = -warmup; round < runs; round++) {
    const k = ((round % names.length) + names.length) % names.length;
    const order = [...names.slice(k), ...names.slice(0, k)];
    for (const name of order) {
      const r = await commands[name](round);
      if (round >= 0) samples[name].push(r);
    }
    log?.(round);
  }
  return samples;
}

/** Per-round ratios a/b or differences a-b of paired samples: drift between rounds cancels out. */
export function paired(a, b, op) {
  return a.slice(0, Math.min(a.length, b.length)).map((x, i) => op(x, b[i]));
}

// ---------------------------------------------------------------- /proc

/** Every process: pid, ppid, pgid, comm; cmdline, cwd and status are read on demand. */
export function listProcesses() {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    out.push({ pid: Number(name), comm: stat.slice(stat.indexOf('(') + 1, close), state: fields[0], ppid: Number(fields[1]), pgid: Number(fields[2]) });
  }
  return out;
}

export function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((w, i, a) => w !== '' || i < a.length - 1);
  } catch {
    return [];
  }
}

export function cwdOf(pid) {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/** VmHWM (peak resident set) of a process in KiB, or undefined once it is gone. */
export function peakRssKiB(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The processes descending from any of `roots` (pids), roots included, in a listProcesses() snapshot. */
export function descendants(procs, isRoot) {
  const children = new Map();
  for (const p of procs) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p);
  }
  const found = [];
  const stack = procs.filter(isRoot);
  const seen = new Set();
  while (stack.length > 0) {
    const p = stack.pop();
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    found.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return found;
}

// ---------------------------------------------------------------- machine state

const BUILD_COMMS = new Set(['cc1', 'cc1plus', 'make', 'gmake']);

/**
 * Compilers and makes that are not ours. Ours run with a working directory
 * under `workDir` (the same paths inside our containers); scripts/container
 * mounts the tree at /src, where ours build in (or name) /src/.kbc-bench.
 */
export function foreignBuildProcesses(workDir) {
  let cc1 = 0;
  let make = 0;
  for (const p of listProcesses()) {
    if (!BUILD_COMMS.has(p.comm)) continue;
    const cwd = cwdOf(p.pid) ?? '';
    if (cwd === workDir || cwd.startsWith(workDir + '/')) continue;
    if (cwd.startsWith('/src/.kbc-bench') || (cwd === '/src' && cmdline(p.pid).some((w) => w.includes('.kbc-bench')))) continue;
    if (p.comm.startsWith('cc1')) cc1++;
    else make++;
  }
  return { cc1, make };
}

export function loadAverage() {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

/** Busy fraction of all CPUs between two readings of /proc/stat. */
export function cpuTimes() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  return { idle, total: f.reduce((a, b) => a + b, 0) };
}

/**
 * Samples the machine every `intervalMs` into per-phase records: load average,
 * CPU busy fraction, and how many compilers and makes of others ran.
 */
export class MachineSampler {
  constructor(workDir, intervalMs = 2000) {
    this.workDir = workDir;
    this.phase = 'setup';
    this.phases = {};
    this.last = cpuTimes();
    this.count = { samples: 0, withOthers: 0 };
    this.lastOthersAt = now(); // no history yet: as if others had just been seen
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample() {
    const cpu = cpuTimes();
    const busy = 1 - (cpu.idle - this.last.idle) / Math.max(1, cpu.total - this.last.total);
    this.last = cpu;
    const foreign = foreignBuildProcesses(this.workDir);
    this.count.samples++;
    if (foreign.cc1 + foreign.make > 0) {
      this.count.withOthers++;
      this.lastOthersAt = now();
    }
    const rec = (this.phases[this.phase] ??= { samples: 0, load1: [], busy: [], foreignCc1: [], foreignMake: [], start: now() });
    rec.samples++;
    rec.load1.push(loadAverage()[0]);
    rec.busy.push(Math.round(busy * 100) / 100);
    rec.foreignCc1.push(foreign.cc1);
    rec.foreignMake.push(foreign.make);
    rec.end = now();
  }

  /** A point to measure from with since(): how many samples saw others' builds in between. */
  mark() {
    return { ...this.count };
  }

  since(mark) {
    return { samples: this.count.samples - mark.samples, withOthers: this.count.withOthers - mark.withOthers };
  }

  enter(phase) {
    this.sample();
    this.phase = phase;
  }

  /** Per phase: how long, the load, and whether anyone else was compiling. */
  report() {
    this.sample();
    clearInterval(this.timer);
    const out = {};
    for (const [phase, r] of Object.entries(this.phases)) {
      out[phase] = {
        seconds: Math.round((r.end - r.start) / 100) / 10,
        samples: r.samples,
        load1: summarize(r.load1),
        cpuBusy: summarize(r.busy),
        foreignCc1Max: Math.max(...r.foreignCc1),
        foreignMakeMax: Math.max(...r.foreignMake),
        samplesWithForeignBuilds: r.foreignCc1.filter((c, i) => c + r.foreignMake[i] > 0).length,
      };
    }
    return out;
  }
}

/**
 * Wait until no cc1 and no make has run for `quietMs` (polled every second),
 * at most `maxMs`. Nothing of ours runs yet, so every one of them is someone else's.
 */
export async function waitForQuiet({ quietMs, maxMs, log }) {
  const start = now();
  let quietSince = now();
  let lastLog = start;
  for (;;) {
    const busy = listProcesses().filter((p) => BUILD_COMMS.has(p.comm)).length;
    const t = now();
    if (busy > 0) quietSince = t;
    if (t - quietSince >= quietMs) return { quiet: true, waitedS: Math.round((t - start) / 1000) };
    if (t - start >= maxMs) return { quiet: false, waitedS: Math.round((t - start) / 1000) };
    if (t - lastLog >= 60000) {
      log?.(`still waiting for a quiet machine: ${busy} cc1/make running (${Math.round((t - start) / 60000)} min so far)`);
      lastLog = t;
    }
    await sleep(1000);
  }
}
