// Figure: the runner's memory. Peak RSS of the launcher and its engine client
// during a build (sampled from /proc), and of the runner alone on short runs.
import { oursArgs, finishedDir } from '../commands.js';
import { toolName, verdict, type Bench } from '../context.js';
import { runOk } from '../proc.js';
import { descendants, listProcesses, peakRssKiB } from '../procfs.js';

/**
 * Peak RSS (VmHWM) of the launcher (the node runner, or scripts/container's
 * python) and of the engine client it starts, while a build we started runs.
 * Looks the processes up until both are found, then only reads their status.
 */
export class PeakRss {
  private readonly launcher = new Map<number, number>();
  private readonly client = new Map<number, number>();
  private readonly timer = setInterval(() => this.sample(), 250);

  sample(): void {
    if (this.launcher.size === 0 || this.client.size === 0) {
      const mine = descendants(listProcesses(), (p) => p.ppid === process.pid);
      for (const p of mine) {
        if (p.comm === 'node' || p.comm.startsWith('python')) this.launcher.set(p.pid, 0);
      }
      for (const p of mine) {
        if ((p.comm === 'podman' || p.comm === 'docker') && this.launcher.has(p.ppid)) this.client.set(p.pid, 0);
      }
    }
    for (const m of [this.launcher, this.client]) {
      for (const [pid, kib] of m) m.set(pid, Math.max(kib, peakRssKiB(pid) ?? 0));
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  result(): PeakRssResult {
    const max = (m: Map<number, number>): number => Math.max(0, ...m.values());
    return { launcherKiB: max(this.launcher), clientKiB: max(this.client) };
  }
}

export interface PeakRssResult {
  launcherKiB?: number;
  clientKiB?: number;
}

/** Rows from the peaks PeakRss saw during the full builds, per tool. */
export function memoryDuringFullBuild(b: Bench, memory: Record<string, PeakRssResult[]>): void {
  b.raw.memoryDuringFullBuild = memory;
  for (const kind of Object.keys(memory).filter((k) => k !== 'native')) {
    const peaks = memory[kind].map((m) => m.launcherKiB).filter((k): k is number => Boolean(k));
    const clients = memory[kind].map((m) => m.clientKiB).filter((k): k is number => Boolean(k));
    const worst = Math.max(0, ...peaks) / 1024;
    b.addRow({
      figure: 'launcher peak RSS (VmHWM) during a full build',
      tool: toolName(kind),
      measured: `${worst.toFixed(1)} MiB`,
      spread: `runs ${peaks.map((k) => (k / 1024).toFixed(1)).join(', ')} MiB; engine client ${clients.map((k) => (k / 1024).toFixed(1)).join(', ')} MiB`,
      goal: kind.startsWith('ours') ? '≤ 80 MiB' : '',
      verdict: kind.startsWith('ours') ? verdict(worst <= 80) : 'reported',
      value: worst,
    });
  }
}

/** Peak RSS of the runner alone on short runs: /usr/bin/time -f %M as the runner command. */
export async function memoryShort(b: Bench, engine: string): Promise<void> {
  const o = await finishedDir(b, `ours-${engine}`);
  const peaks: Record<string, number[]> = {};
  const runs: [string, string[], number][] = [
    ['kernelversion', ['kernelversion'], 0],
    ['no-op bzImage', ['bzImage'], b.cfg.jobs],
  ];
  for (const [what, goals, jobs] of runs) {
    peaks[what] = [];
    for (let i = 0; i < 3; i++) {
      const extraVars = ['KBUILD_CONTAINER_RUNNER=/usr/bin/time -f kbc-maxrss=%M kbuild-container'];
      const r = await runOk('make', oursArgs(b, engine, { o, goals, jobs, extraVars }), { env: b.env });
      const m = /kbc-maxrss=(\d+)/.exec(r.stderr);
      if (m) peaks[what].push(Number(m[1]));
    }
  }
  b.raw[`memory ${engine}`] = peaks;
  const worst = Math.max(...Object.values(peaks).flat()) / 1024;
  b.addRow({
    figure: 'runner peak RSS (/usr/bin/time %M), short runs',
    tool: toolName(`ours-${engine}`),
    measured: `${worst.toFixed(1)} MiB`,
    spread: Object.entries(peaks)
      .map(([k, v]) => `${k} ${v.map((x) => (x / 1024).toFixed(1)).join('/')} MiB`)
      .join('; '),
    goal: '≤ 80 MiB',
    verdict: verdict(worst <= 80),
    value: worst,
  });
}
