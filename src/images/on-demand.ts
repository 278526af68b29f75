// The thin "run" part of the image family: when `make CONTAINER=X` finds X
// missing, build it through images/Makefile (a family name) or pull it (a
// registry reference), then let the caller run the kernel build again.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { decideImage, familyPrefixes, HOST_ARCH, parseFamily } from './catalogue.js';
import { runTool } from './run-tool.js';

/** The images/ directory shipped beside dist/ in the package (from the bundle in dist/, or dist/images/ compiled). */
export function imagesDir(): string {
  const candidates = ['../images', '../../images'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((dir) => existsSync(join(dir, 'family.conf'))) ?? candidates[0]!;
}

/** True for the engine's "no such image" failure (see explainFailure in src/plan/engines/). */
export function isImageNotFound(err: unknown, image: string): boolean {
  return err instanceof UserError && err.message.startsWith(`image '${image}' not found`);
}

export interface OnDemandContext {
  image: string;
  engineName: string;
  enginePath: string;
  env: NodeJS.ProcessEnv;
  verbose: boolean;
  stderr: NodeJS.WritableStream;
}

/** The make command line that builds a family image, as a user would type it. */
export function buildCommand(dir: string, prefix: string, name: string, engineName: string): string[] {
  return ['make', '-C', dir, `PREFIX=${prefix}`, `IMAGES=${name}`, `CONTAINER_RUNTIME=${engineName}`];
}

/**
 * After `attempt` failed with `err`: if the image was missing, build or pull
 * it (unless CONTAINER_BUILD=never / CONTAINER_PULL=never) and run it once more.
 */
export async function retryWithImage<T>(err: unknown, ctx: OnDemandContext, attempt: () => Promise<T>): Promise<T> {
  if (!isImageNotFound(err, ctx.image)) throw err;
  await provideImage(ctx, err as UserError);
  return attempt();
}

/**
 * For a run whose engine output goes straight to the terminal (menuconfig and
 * the other interactive goals), where no "not found" can be caught: ask the
 * store first (one `image inspect`, nothing next to an interactive session).
 */
export async function ensureImageFirst(
  ctx: OnDemandContext,
  explain: (stderr: string, image: string) => { message: string; hint?: string } | undefined,
): Promise<void> {
  const probe = await runTool(ctx.enginePath, ['image', 'inspect', '--format', '{{.Id}}', ctx.image], { quiet: true, stderr: ctx.stderr });
  if (probe.code === 0) return;
  const explained = explain(probe.tail, ctx.image);
  if (explained === undefined || !explained.message.startsWith(`image '${ctx.image}' not found`)) return; // the run itself will say what is wrong
  await provideImage(ctx, new UserError(explained.message, explained.hint));
}

async function provideImage(ctx: OnDemandContext, notFound: UserError): Promise<void> {
  const dir = imagesDir();
  // Without the family's recipes (a bare copy of the runner) there is nothing to build.
  if (!existsSync(join(dir, 'family.conf'))) throw notFound;
  const family = parseFamily(readFileSync(join(dir, 'family.conf'), 'utf8'));
  const host = HOST_ARCH[process.arch] ?? process.arch;
  const decision = decideImage(ctx.image, family, familyPrefixes(ctx.env), host);
  const line = (tag: string, text: string) => ctx.stderr.write(`  ${tag.padEnd(7)} ${text}\n`);

  if (decision.kind === 'other') throw notFound;
  if (decision.kind === 'registry') {
    if (ctx.env.CONTAINER_PULL === 'never')
      throw new UserError(`${notFound.message.split(';')[0]}; CONTAINER_PULL=never, so not pulled (${ctx.engineName} pull ${ctx.image} would)`);
    line('PULL', ctx.image);
    const status = await runTool(ctx.enginePath, ['pull', ...(ctx.verbose ? [] : ['--quiet']), ctx.image], {
      quiet: !ctx.verbose,
      stderr: ctx.stderr,
      stdoutToStderr: true,
    });
    if (status.code !== 0) throw new UserError(`cannot pull '${ctx.image}' (${ctx.engineName} pull exit ${status.code}):\n${status.tail}`);
    return;
  }
  const argv = buildCommand(dir, decision.prefix, decision.name, ctx.engineName);
  if (ctx.env.CONTAINER_BUILD === 'never')
    throw new UserError(`${notFound.message.split(';')[0]}; CONTAINER_BUILD=never, so not built (${argv.join(' ')} would)`);
  const { image } = decision;
  const source = await chooseSource(ctx.env);
  line('SOURCE', `${source.source} (${source.why}): ${image.kind} ${image.version} for ${image.target}, ${decision.prefix}${image.name}`);
  // One builder at a time per engine and user: a second make waits, then finds the image built.
  const lock = join(ctx.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kbuild-container', `images-${ctx.engineName}.lock`);
  const vars = [`SOURCE=${source.source}`, `BASE=${ctx.env.CONTAINER_IMAGES_BASE ?? ''}`, `V=${ctx.verbose ? 1 : 0}`];
  const status = await runTool('flock', [lock, ...argv, ...vars], { quiet: false, stderr: ctx.stderr, lockFile: lock, stdoutToStderr: true });
  if (status.signal) throw new UserError(`image build of ${ctx.image} interrupted (${status.signal})`);
  if (status.code !== 0) throw new UserError(`image build of ${ctx.image} failed (exit ${status.code}); see the lines above`);
}

/** The kernel.org mirror of the family (images/Makefile's KORG_MIRROR default). */
export const DEFAULT_KORG_MIRROR = 'https://mirrors.edge.kernel.org/pub/tools';

/** CONTAINER_IMAGES_SOURCE=debian|kernel.org forces a source; otherwise kernel.org when KORG_MIRROR answers (5 s), else debian. */
export async function chooseSource(env: NodeJS.ProcessEnv): Promise<{ source: 'debian' | 'kernel.org'; why: string }> {
  const forced = env.CONTAINER_IMAGES_SOURCE;
  if (forced === 'debian' || forced === 'kernel.org') return { source: forced, why: 'CONTAINER_IMAGES_SOURCE' };
  if (forced !== undefined && forced !== '' && forced !== 'auto') throw new UserError(`CONTAINER_IMAGES_SOURCE='${forced}' is not debian, kernel.org or auto`);
  const mirror = env.KORG_MIRROR || DEFAULT_KORG_MIRROR;
  if (!/^https?:\/\//.test(mirror)) return existsSync(mirror) ? { source: 'kernel.org', why: mirror } : { source: 'debian', why: `${mirror} does not exist` };
  try {
    const res = await fetch(`${mirror}/`, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    if (res.ok) return { source: 'kernel.org', why: mirror };
    return { source: 'debian', why: `${mirror} answers ${res.status}` };
  } catch {
    return { source: 'debian', why: `${mirror} does not answer` };
  }
}
