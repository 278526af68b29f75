// Robust figures for a noisy machine, and the alternating schedule that
// makes drift hit every compared command alike. Pure: no processes here.

/** Median, quartiles, extremes of the finite values. */
export interface Summary {
  n: number;
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
}

/** Median, quartiles (linear interpolation), extremes. */
export function summarize(values: readonly (number | undefined)[]): Summary {
  const xs = values.filter((x): x is number => Number.isFinite(x)).sort((a, b) => a - b);
  const q = (p: number): number => {
    if (xs.length === 0) return NaN;
    const i = (xs.length - 1) * p;
    const lo = Math.floor(i);
    return xs[lo] + (xs[Math.ceil(i)] - xs[lo]) * (i - lo);
  };
  return { n: xs.length, median: q(0.5), q1: q(0.25), q3: q(0.75), min: xs[0] ?? NaN, max: xs.at(-1) ?? NaN };
}

/** The order in which `names` run in a round: rotated by one each round, warm-up rounds (negative) included. */
export function roundOrder<T>(names: readonly T[], round: number): T[] {
  const k = ((round % names.length) + names.length) % names.length;
  return [...names.slice(k), ...names.slice(0, k)];
}

/**
 * Time commands in alternation: `warmup` untimed rounds, then `runs` rounds in
 * which the order is rotated every round, so drift and position effects hit
 * every command alike (hyperfine runs all of one command before the next).
 */
export async function alternate<K extends string, R>(
  commands: Record<K, (round: number) => Promise<R>>,
  { runs, warmup }: { runs: number; warmup: number },
): Promise<Record<K, R[]>> {
  const names = Object.keys(commands) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as R[]])) as Record<K, R[]>;
  for (let round = -warmup; round < runs; round++) {
    for (const name of roundOrder(names, round)) {
      const r = await commands[name](round);
      if (round >= 0) samples[name].push(r);
    }
  }
  return samples;
}

/** Per-round ratios a/b or differences a-b of paired samples: drift between rounds cancels out. */
export function paired(a: readonly number[], b: readonly number[], op: (x: number, y: number) => number): number[] {
  return a.slice(0, Math.min(a.length, b.length)).map((x, i) => op(x, b[i]));
}
