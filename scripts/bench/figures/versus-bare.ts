// What the wrapper-overhead and no-op figures share: a tool against the bare
// engine command it runs, alternating round by round.
import fs from 'node:fs';
import path from 'node:path';
import { bareFromPlan, finishedDir, ours, upstream, upstreamBare, type Timed } from '../commands.js';
import type { Bench } from '../context.js';
import { alternate, summarize, type Summary } from '../stats.js';

export interface VersusBare {
  /** ours-ENGINE or upstream-ENGINE. */
  kind: string;
  engine: string;
  goals: string[];
  jobs: number;
  runs: number;
  /** The name of its raw samples in the JSON. */
  what: string;
  /** Count the vmlinux versions seen: a no-op rebuild must not relink. */
  relinkCheck?: boolean;
}

/** Timings of the tool (a) and the bare command (b), in ms, with their summaries. */
export interface VersusResult {
  sa: Summary;
  sb: Summary;
  a: number[];
  b: number[];
  relinks: number | undefined;
}

/** kbuild-container (or scripts/container) against the bare engine command it runs, alternating. */
export async function versusBare(b: Bench, { kind, engine, goals, jobs, runs, what, relinkCheck = false }: VersusBare): Promise<VersusResult> {
  const o = await finishedDir(b, kind);
  const spec = { o, goals, jobs };
  let tool: Timed;
  let bare: Timed;
  if (kind.startsWith('upstream')) {
    tool = upstream(b, engine, spec);
    bare = await upstreamBare(b, engine, spec);
  } else {
    tool = ours(b, engine, spec);
    const plan = await bareFromPlan(b, engine, spec);
    b.raw[`rawCommand ${what} ${engine}`] = plan.argv('N').flat();
    bare = plan.run;
  }
  const vmlinux = path.resolve(b.tree, o, 'vmlinux');
  const mtimes = new Set<number>();
  const checked =
    (command: Timed): Timed =>
    async () => {
      const r = await command();
      if (relinkCheck) mtimes.add(fs.statSync(vmlinux).mtimeMs);
      return r;
    };
  const samples = await alternate({ tool: checked(tool), bare: checked(bare) }, { runs, warmup: b.cfg.warmup });
  const a = samples.tool.map((r) => r.ms);
  const bb = samples.bare.map((r) => r.ms);
  b.raw[`${what} ${kind}`] = { tool: a, bare: bb, vmlinuxVersions: relinkCheck ? mtimes.size : undefined };
  return { sa: summarize(a), sb: summarize(bb), a, b: bb, relinks: relinkCheck ? mtimes.size - 1 : undefined };
}
