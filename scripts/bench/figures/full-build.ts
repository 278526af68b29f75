// Figure: full tinyconfig bzImage builds, fresh O= each, the tools
// alternating, against the native host build; the launchers' peak RSS meanwhile.
import fs from 'node:fs';
import path from 'node:path';
import { outFor, toolCommand } from '../commands.js';
import { s, toolName, verdict, type Bench } from '../context.js';
import { summarize } from '../stats.js';
import { PeakRss, memoryDuringFullBuild, type PeakRssResult } from './memory.js';

export async function fullBuilds(b: Bench): Promise<void> {
  const kinds = ['native', ...b.cfg.engines.map((e) => `ours-${e}`)];
  if (b.cfg.upstream && b.cfg.engines.includes('docker')) kinds.push('upstream-docker');
  const goals = ['tinyconfig', 'bzImage'];

  // Untimed: each tool configures once, so its toolchain is warm before the first timed build.
  for (const kind of kinds) {
    await toolCommand(b, kind, { o: outFor(b, kind, kind.startsWith('upstream') ? 'warm' : `warm-${kind}`), goals: ['tinyconfig'], jobs: b.cfg.jobs })();
  }

  const times: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
  const memory: Record<string, PeakRssResult[]> = Object.fromEntries(kinds.map((k) => [k, []]));
  const others: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let round = 0; round < b.cfg.fullRuns; round++) {
    const order = round % 2 === 0 ? kinds : [...kinds].reverse();
    for (const kind of order) {
      const o = outFor(b, kind, `full-${kind}-${round}`);
      fs.rmSync(path.resolve(b.tree, o), { recursive: true, force: true });
      await b.gate(`full-${kind}-${round}`);
      const mark = b.sampler.mark();
      const peak = kind === 'native' ? undefined : new PeakRss();
      const r = await toolCommand(b, kind, { o, goals, jobs: b.cfg.jobs })().finally(() => peak?.stop());
      const d = b.sampler.since(mark);
      others[kind].push(d.withOthers);
      if (!fs.existsSync(path.resolve(b.tree, o, 'arch/x86/boot/bzImage'))) throw new Error(`${kind}: no bzImage after the build`);
      times[kind].push(r.ms);
      memory[kind].push(peak?.result() ?? {});
      b.finished[kind] = o;
      b.log(`  ${kind} round ${round + 1}: ${s(r.ms)} (others' cc1/make in ${d.withOthers}/${d.samples} samples)`);
    }
  }
  b.raw.fullBuild = { goals, jobs: b.cfg.jobs, times, memory, samplesWithOthersBuilding: others };
  const disturbed = (k: string): number => others[k].filter((n) => n > 0).length;
  const nat = summarize(times.native);
  for (const kind of kinds.slice(1)) {
    const st = summarize(times[kind]);
    const ratio = st.median / nat.median;
    b.addRow({
      figure: `full build (tinyconfig bzImage, -j${b.cfg.jobs}, fresh O=) ÷ native host build`,
      tool: toolName(kind),
      measured: `${ratio.toFixed(3)} (${s(st.median)} vs ${s(nat.median)})`,
      spread: `${kind} ${s(st.min)}–${s(st.max)}, native ${s(nat.min)}–${s(nat.max)}, n=${st.n}/${nat.n}`,
      machine: `runs with others' cc1/make: ${kind} ${disturbed(kind)}/${st.n}, native ${disturbed('native')}/${nat.n}`,
      goal: '≤ 1.05',
      verdict: kind.startsWith('upstream') ? 'reported' : verdict(ratio <= 1.05),
      value: ratio,
    });
  }
  memoryDuringFullBuild(b, memory);
}
