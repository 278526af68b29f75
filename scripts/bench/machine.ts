// What else the machine does while we measure: load, CPU use, and others'
// compilers and makes (told from ours by their working directory).
import fs from 'node:fs';
import { now, sleep } from './proc.js';
import { cmdline, cwdOf, listProcesses } from './procfs.js';
import { summarize, type Summary } from './stats.js';

const BUILD_COMMS = new Set(['cc1', 'cc1plus', 'make', 'gmake']);

/**
 * Compilers and makes that are not ours. Ours run with a working directory
 * under `workDir` (the same paths inside our containers); scripts/container
 * mounts the tree at /src, where ours build in (or name) /src/.kbc-bench.
 */
export function foreignBuildProcesses(workDir: string): { cc1: number; make: number } {
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

export function loadAverage(): number[] {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

/** Idle and total jiffies of all CPUs: two readings give the busy fraction between them. */
export function cpuTimes(): { idle: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: f[3] + f[4], total: f.reduce((a, b) => a + b, 0) };
}

interface PhaseRecord {
  samples: number;
  load1: number[];
  busy: number[];
  foreignCc1: number[];
  foreignMake: number[];
  start: number;
  end: number;
}

/** Per phase: how long, the load, and whether anyone else was compiling (the JSON's machine.phases). */
export interface PhaseReport {
  seconds: number;
  samples: number;
  load1: Summary;
  cpuBusy: Summary;
  foreignCc1Max: number;
  foreignMakeMax: number;
  samplesWithForeignBuilds: number;
}

/** A point to measure from with MachineSampler.since(). */
export interface SampleMark {
  samples: number;
  withOthers: number;
}

/**
 * Samples the machine every `intervalMs` into per-phase records: load average,
 * CPU busy fraction, and how many compilers and makes of others ran.
 */
export class MachineSampler {
  private phase = 'setup';
  private readonly phases: Record<string, PhaseRecord> = {};
  private last = cpuTimes();
  private readonly count: SampleMark = { samples: 0, withOthers: 0 };
  /** When others' builds were last seen; no history yet: as if just now. */
  lastOthersAt = now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly workDir: string,
    intervalMs = 2000,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const cpu = cpuTimes();
    const busy = 1 - (cpu.idle - this.last.idle) / Math.max(1, cpu.total - this.last.total);
    this.last = cpu;
    const foreign = foreignBuildProcesses(this.workDir);
    this.count.samples++;
    if (foreign.cc1 + foreign.make > 0) {
      this.count.withOthers++;
      this.lastOthersAt = now();
    }
    const rec = (this.phases[this.phase] ??= { samples: 0, load1: [], busy: [], foreignCc1: [], foreignMake: [], start: now(), end: now() });
    rec.samples++;
    rec.load1.push(loadAverage()[0]);
    rec.busy.push(Math.round(busy * 100) / 100);
    rec.foreignCc1.push(foreign.cc1);
    rec.foreignMake.push(foreign.make);
    rec.end = now();
  }

  /** How many samples so far, and how many saw others' builds. */
  mark(): SampleMark {
    return { ...this.count };
  }

  since(mark: SampleMark): SampleMark {
    return { samples: this.count.samples - mark.samples, withOthers: this.count.withOthers - mark.withOthers };
  }

  enter(phase: string): void {
    this.sample();
    this.phase = phase;
  }

  /** The last sample, the timer stopped, and every phase summarised. */
  report(): Record<string, PhaseReport> {
    this.sample();
    clearInterval(this.timer);
    const out: Record<string, PhaseReport> = {};
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

/** The JSON's machine.waitForQuiet. */
export interface QuietWait {
  quiet: boolean | undefined;
  waitedS: number;
  skipped?: boolean;
}

/**
 * Wait until no cc1 and no make has run for `quietMs` (polled every second),
 * at most `maxMs`. Nothing of ours runs yet, so every one of them is someone else's.
 */
export async function waitForQuiet({ quietMs, maxMs, log }: { quietMs: number; maxMs: number; log: (msg: string) => void }): Promise<QuietWait> {
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
      log(`still waiting for a quiet machine: ${busy} cc1/make running (${Math.round((t - start) / 60000)} min so far)`);
      lastLog = t;
    }
    await sleep(1000);
  }
}
