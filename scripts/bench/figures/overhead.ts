// Figure: wrapper overhead, `make kernelversion` through the tool ÷ the bare
// engine command (the shortest build there is: only start-up counts).
import { iqr, s, toolName, verdict, type Bench } from '../context.js';
import { paired, summarize } from '../stats.js';
import { versusBare } from './versus-bare.js';

export async function overhead(b: Bench, kind: string, engine: string): Promise<void> {
  const { sa, sb, a, b: bare } = await versusBare(b, { kind, engine, goals: ['kernelversion'], jobs: 0, runs: b.cfg.runs, what: 'kernelversion' });
  const pair = summarize(paired(a, bare, (x, y) => x / y));
  const ratio = sa.median / sb.median;
  const up = kind.startsWith('upstream');
  b.addRow({
    figure: 'wrapper overhead: make kernelversion via the tool ÷ the bare engine command',
    tool: toolName(kind),
    measured: `${ratio.toFixed(3)} (${s(sa.median)} vs ${s(sb.median)}, +${Math.round(sa.median - sb.median)} ms)`,
    spread: `per-round ratio median ${pair.median.toFixed(3)} IQR ${pair.q1.toFixed(3)}–${pair.q3.toFixed(3)}; tool ${iqr(sa)}; bare ${iqr(sb)}`,
    goal: up ? '' : '≤ 1.15',
    verdict: up ? 'reported' : verdict(ratio <= 1.15),
    value: ratio,
  });
}
