// The printed tables: results, the overhead breakdown, and what the machine
// did meanwhile. Pure: they format what the JSON holds.
import type { Bench, Gate, Row } from './context.js';
import type { PhaseReport, QuietWait } from './machine.js';

/** The JSON's machine section. */
export interface MachineReport {
  waitForQuiet: QuietWait;
  gates: Gate[];
  gateWaitS: number;
  phases: Record<string, PhaseReport>;
  loadAtEnd: string;
}

/** The results as a Markdown table. */
export function resultsTable(rows: readonly Row[]): string {
  const esc = (x: unknown): string => String(x ?? '').replaceAll('|', '\\|');
  const lines = ['| figure | tool / engine | measured (median) | spread | goal | verdict | machine meanwhile |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${[r.figure, r.tool, r.measured, r.spread, r.goal, r.verdict, r.machine].map(esc).join(' | ')} |`);
  return lines.join('\n');
}

export function breakdownTable(b: Bench): string {
  const lines: string[] = [];
  for (const e of b.cfg.engines) {
    const x = b.breakdown.engines[e];
    if (!x) continue;
    lines.push(`Overhead breakdown, ${e}, make kernelversion (medians over ${x.runner.n} runs, ms):`, '', '| step | ms |', '|---|---|');
    for (const [k, st] of Object.entries(x.steps)) lines.push(`| ${k} | ${st.median.toFixed(1)} |`);
    lines.push(`| make alone (fragment, runner = true) | ${x.makeOnly.median.toFixed(1)} |`);
    lines.push(`| bare engine command | ${x.bare.median.toFixed(1)} |`);
    lines.push(`| through the runner (bundle, as shipped) / unbundled ES modules | ${x.runner.median.toFixed(1)} / ${x.esm.median.toFixed(1)} |`);
    lines.push(`| (the probe's own cost: probed − runner) | ${(x.probedTotal.median - x.runner.median).toFixed(1)} |`);
    const c = x.cpuProfile;
    lines.push(`| cpu-prof: profile length / until first runner code | ${c.totalMs} / ${c.untilRunnerCodeMs} |`);
    const self = Object.entries(c.selfMsMedian)
      .sort((p, q) => q[1] - p[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(`| cpu-prof self time: ${self} | |`, '');
  }
  if (b.breakdown.startup) {
    lines.push('| start-up | median ms | IQR |', '|---|---|---|');
    for (const [k, st] of Object.entries(b.breakdown.startup)) lines.push(`| ${k} | ${st.median.toFixed(1)} | ${st.q1.toFixed(1)}–${st.q3.toFixed(1)} |`);
  }
  return lines.join('\n');
}

export function machineTable(machine: MachineReport, cpus: number): string {
  const q = machine.waitForQuiet;
  const lines = [
    `Machine: ${cpus} CPUs; ${q.skipped ? 'quiet wait skipped (--no-wait)' : q.quiet ? `quiet (no cc1/make for 30 s) after waiting ${q.waitedS} s` : `NOT quiet after waiting ${q.waitedS} s: ran anyway`}; ` +
      `gates before figures and builds: ${machine.gates.filter((g) => g.quiet).length} quiet, ${machine.gates.filter((g) => g.quiet === false).length} not quiet in time, ${machine.gates.filter((g) => g.skipped).length} skipped; ${machine.gateWaitS} s waited in them`,
    '',
    "| phase | s | load1 median (max) | CPU busy median | samples with others' cc1/make | max others' cc1 / make |",
    '|---|---|---|---|---|---|',
  ];
  for (const [p, r] of Object.entries(machine.phases)) {
    lines.push(
      `| ${p} | ${r.seconds} | ${r.load1.median.toFixed(2)} (${r.load1.max.toFixed(2)}) | ${Math.round(r.cpuBusy.median * 100)}% | ${r.samplesWithForeignBuilds}/${r.samples} | ${r.foreignCc1Max} / ${r.foreignMakeMax} |`,
    );
  }
  return lines.join('\n');
}
