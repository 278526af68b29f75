// Reads a V8 .cpuprofile (node --cpu-prof) and says where the runner's time
// went: how long before the first line of runner code ran (module resolution,
// loading and linking), and self time by kind of code.
import fs from 'node:fs';

/** The parts of V8's profile format read here. */
interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One profile in milliseconds: its length, when runner code first ran, self time by category, the top functions. */
export interface ProfileSummary {
  totalMs: number;
  untilRunnerCodeMs: number | undefined;
  categories: Record<string, number>;
  top: { name: string; ms: number }[];
}

const META = new Set(['(program)', '(garbage collector)', '(idle)', '(root)']);

/**
 * What a sample was doing, judged from its whole stack (leaf first): code of
 * the runner or of a dependency owns everything it calls into; without such
 * a frame the time is node's own, split into the ESM loader, first loads of
 * built-in modules, and the rest (bootstrap, teardown).
 */
export function category(stack: readonly CallFrame[], runnerMarker: string): string {
  const leaf = stack[0];
  if (META.has(leaf.functionName)) return leaf.functionName;
  const owner = stack.findIndex((f) => f.url.includes(runnerMarker) || f.url.includes('/node_modules/'));
  const below = owner < 0 ? stack : stack.slice(0, owner);
  if (owner >= 0 && stack[owner].url.includes('/node_modules/')) return 'dependency code';
  if (owner >= 0) {
    if (below.some((f) => /^node:(internal\/)?child_process/.test(f.url))) return 'runner: spawning processes';
    if (below.some((f) => /^node:(internal\/)?fs/.test(f.url))) return 'runner: file system calls';
    if (below.some((f) => f.url.startsWith('node:'))) return 'runner: other node APIs';
    return 'runner: its own JS';
  }
  if (stack.some((f) => f.url.startsWith('node:internal/modules/esm'))) return 'node: ESM loader (resolve, read, compile, link)';
  if (stack.some((f) => f.functionName === 'compileForInternalLoader')) return 'node: built-in modules, first load';
  return 'node: other (bootstrap, teardown)';
}

/** Summarise one profile file. Times in milliseconds. */
export function summarizeProfile(file: string, runnerMarker: string): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const node = (id: number): ProfileNode => {
    const n = byId.get(id);
    if (!n) throw new Error(`${file}: no node ${id}`);
    return n;
  };

  // Sample i covers the interval up to the next sample.
  const times: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  const self = new Map<number, number>();
  let firstRunnerSample: number | undefined;
  const runsRunnerCode = new Map<number, boolean>();
  const inRunner = (id: number): boolean => {
    let known = runsRunnerCode.get(id);
    if (known === undefined) {
      const up = parent.get(id);
      known = node(id).callFrame.url.includes(runnerMarker) || (up !== undefined && inRunner(up));
      runsRunnerCode.set(id, known);
    }
    return known;
  };
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const dur = (i + 1 < times.length ? times[i + 1] : profile.endTime) - times[i];
    self.set(id, (self.get(id) ?? 0) + dur);
    if (firstRunnerSample === undefined && inRunner(id)) firstRunnerSample = times[i];
  }

  const categories: Record<string, number> = {};
  const functions = new Map<string, number>();
  const stackOf = (id: number): CallFrame[] => {
    const frames: CallFrame[] = [];
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) frames.push(node(n).callFrame);
    return frames;
  };
  for (const [id, us] of self) {
    const frame = node(id).callFrame;
    const cat = category(stackOf(id), runnerMarker);
    categories[cat] = (categories[cat] ?? 0) + us / 1000;
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\//, '')}`;
    functions.set(key, (functions.get(key) ?? 0) + us / 1000);
  }
  const top = [...functions]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([name, ms]) => ({ name, ms: round(ms) }));
  for (const k of Object.keys(categories)) categories[k] = round(categories[k]);
  return {
    totalMs: round((profile.endTime - profile.startTime) / 1000),
    untilRunnerCodeMs: firstRunnerSample === undefined ? undefined : round((firstRunnerSample - profile.startTime) / 1000),
    categories,
    top,
  };
}

const round = (x: number): number => Math.round(x * 10) / 10;
