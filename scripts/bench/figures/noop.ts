// Figure: no-op rebuild, `bzImage` on a finished O=, tool − bare engine
// command; also whether anything relinked (it must not).
import { iqr, s, toolName, verdict, type Bench } from '../context.js';
import { paired, summarize } from '../stats.js';
import { versusBare } from './versus-bare.js';

export async function noop(b: Bench, kind: string, engine: string): Promise<void> {
  const {
    sa,
    sb,
    a,
    b: bare,
    relinks,
  } = await versusBare(b, { kind, engine, goals: ['bzImage'], jobs: b.cfg.jobs, runs: b.cfg.noopRuns, what: 'noop', relinkCheck: true });
  const diff = summarize(paired(a, bare, (x, y) => x - y));
  const delta = (sa.median - sb.median) / 1000;
  const up = kind.startsWith('upstream');
  b.addRow({
    figure: `no-op rebuild (bzImage -j${b.cfg.jobs} on a finished O=): tool − bare engine`,
    tool: toolName(kind),
    measured: `${delta >= 0 ? '+' : ''}${delta.toFixed(3)} s (${s(sa.median)} vs ${s(sb.median)})${relinks ? `; vmlinux relinked (${relinks + 1} versions seen)` : ''}`,
    spread: `per-round difference median ${(diff.median / 1000).toFixed(3)} s IQR ${(diff.q1 / 1000).toFixed(3)}–${(diff.q3 / 1000).toFixed(3)}; tool ${iqr(sa)}; bare ${iqr(sb)}`,
    goal: up ? '' : '≤ 0.1 s',
    verdict: up ? 'reported' : verdict(delta <= 0.1),
    value: delta,
  });
}
