// The library's front door: parse → plan → supervise for one invocation.
import { findEngine, hostFacts, visibleMakefile } from './host.js';
import { findTreeAndCreateOutputDirs } from './output-dirs.js';
import { describeContainerConfig } from './parse/container-toml.js';
import type { Invocation } from './parse/invocation.js';
import { checkImageReference } from './plan/image-ref.js';
import { planRun, type RunPlan } from './plan/plan-run.js';
import { quoteCommand } from './plan/shell-words.js';
import { superviseRun, type RunResult } from './supervise/supervise-run.js';

/** Plan the run of an invocation; creates the output directories unless only printing. */
export function planInvocation(inv: Invocation, options: { create: boolean }): { plan: RunPlan; engine: ReturnType<typeof findEngine>['engine'] } {
  checkImageReference(inv.container.image);
  const { engine, path: enginePath } = findEngine(inv.container.runtime);
  const tree = findTreeAndCreateOutputDirs(inv, options);
  const runId = newRunId();
  return { plan: planRun({ invocation: inv, engine, enginePath, host: hostFacts(), tree, runId, makefile: visibleMakefile(tree) }), engine };
}

/** A run's id, for its container name and label: unique, not secret (Math.random spares loading node:crypto on every make, a few ms). */
export function newRunId(): string {
  return `${process.pid.toString(36)}-${Math.floor(Math.random() * 2 ** 32)
    .toString(16)
    .padStart(8, '0')}`;
}

/** The pasteable command line of a plan. */
export function formatCommand(plan: RunPlan): string {
  return quoteCommand([plan.file, ...plan.args]);
}

/** Run an invocation to the end (or print it, with CONTAINER_DRYRUN). */
export async function runInvocation(inv: Invocation, stderr: NodeJS.WritableStream = process.stderr): Promise<RunResult> {
  // A dry run creates O= too: Podman refuses a missing bind-mount source (statfs: no such
  // file), and Docker would create it root-owned, so the printed command must find it there.
  const { plan, engine } = planInvocation(inv, { create: true });
  if (inv.container.dryRun) {
    process.stdout.write(formatCommand(plan) + '\n');
    return { exitCode: 0 };
  }
  if (!inv.silent) stderr.write(plan.banner + '\n');
  const fromFile = inv.verbose ? describeContainerConfig(inv.container) : undefined;
  if (fromFile) stderr.write(fromFile + '\n');
  if (inv.verbose) stderr.write(formatCommand(plan) + '\n');
  if (inv.verbose && plan.jobserverNote) stderr.write(plan.jobserverNote + '\n');
  const attempt = () => superviseRun(plan, engine, inv.container.image, { stderr });
  // A missing image of the family is built (or a registry one pulled), then run: src/images/.
  const onDemand = { image: inv.container.image, engineName: engine.name, enginePath: plan.file, env: process.env, verbose: inv.verbose, stderr };
  if (plan.interactive) await (await import('./images/on-demand.js')).ensureImageFirst(onDemand, (text, image) => engine.explainFailure(text, image));
  return attempt().catch(async (err: unknown) => (await import('./images/on-demand.js')).retryWithImage(err, onDemand, attempt));
}
