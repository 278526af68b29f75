// Figure (a row, not a number): where the kernel's scripts/container cannot
// run at all (rootful podman refuses its keep-id), what it says.
import { upstreamArgs, upstreamO, UPSTREAM_PYTHON } from '../commands.js';
import type { Bench } from '../context.js';
import { lastLines, run } from '../proc.js';

/** Adds a row and returns true when scripts/container fails on `engine`. */
export async function upstreamCannot(b: Bench, engine: string, how: string): Promise<boolean> {
  const r = await run(UPSTREAM_PYTHON, upstreamArgs(b, engine, { o: upstreamO('fail'), goals: ['kernelversion'] }), { cwd: b.tree, env: b.env });
  if (r.code === 0) return false;
  b.addRow({
    figure: 'all figures',
    tool: `scripts/container / ${how}`,
    measured: `cannot run (exit ${r.code})`,
    spread: lastLines(r.stderr, 1).slice(0, 160),
    goal: '',
    verdict: 'reported',
  });
  return true;
}
