// Before and after the figures: the overlay over the pristine tree, the
// runner on PATH as after npm install -g, warm caches, the versions of
// everything measured, and one guarded tear-down.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENGINES } from '../../src/plan/engines/index.js';
import type { Bench } from './context.js';
import { liveChildren, run, runOk, sleep, type RunOptions } from './proc.js';

/** Mount the overlay, put the runner (bundled and not) on PATH, and warm the page cache. */
export async function setUp(b: Bench): Promise<void> {
  const W = b.work;
  fs.mkdirSync(path.join(W, 'ovl/upper'), { recursive: true });
  fs.mkdirSync(path.join(W, 'ovl/work'), { recursive: true });
  fs.mkdirSync(b.tree, { recursive: true });
  fs.mkdirSync(path.join(W, 'out'), { recursive: true });
  await runOk('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${b.cfg.pristine},upperdir=${W}/ovl/upper,workdir=${W}/ovl/work`, b.tree]);
  b.overlayMounted = true;
  for (const [dir, target] of [
    [b.bin, b.runner],
    [b.esmBin, b.esmCli],
  ]) {
    fs.mkdirSync(dir, { recursive: true });
    fs.rmSync(path.join(dir, 'kbuild-container'), { force: true });
    fs.symlinkSync(target, path.join(dir, 'kbuild-container'));
  }
  // The tree and the toolchains into the page cache, so the first timed build is not the only cold one.
  b.log('warming the page cache (tree, images)');
  await runOk('sh', ['-c', 'tar -C "$1" -cf - . | cat >/dev/null', 'sh', b.tree]);
  for (const e of b.cfg.engines) await runOk(e, ['run', '--rm', '--network=none', b.cfg.image, 'true']);
}

const tornDown = new WeakMap<Bench, Promise<void>>();

/** Stop what still runs, remove our containers, unmount the overlay, remove the work directory; once. */
export function tearDown(b: Bench, { keepWork }: { keepWork: boolean }): Promise<void> {
  let done = tornDown.get(b);
  if (!done) {
    done = tearDownOnce(b, keepWork);
    tornDown.set(b, done);
  }
  return done;
}

async function tearDownOnce(b: Bench, keepWork: boolean): Promise<void> {
  // Interrupted mid-measurement: stop what runs as a user would (the runner removes its container).
  const cleanup = (file: string, args: string[], options?: RunOptions) => run(file, args, { ...options, cleanup: true });
  for (const child of liveChildren) child.kill('SIGTERM');
  for (let i = 0; i < 30 && liveChildren.size > 0; i++) await sleep(100);
  for (const child of liveChildren) child.kill('SIGKILL');
  for (const pgid of b.leaders) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  // Bare-engine containers of this run (an interrupted benchmark may leave one).
  for (const engine of b.cfg.engines) {
    const r = await cleanup(engine, ['ps', '--all', '--quiet', '--filter', `name=${b.containerPrefix()}`], { capture: true });
    for (const id of r.stdout.split('\n').filter(Boolean)) b.containers.add(`${engine} ${id}`);
  }
  for (const c of b.containers) {
    const [engine, name] = c.split(' ');
    await cleanup(engine, ENGINES[engine].removeArgs(name));
  }
  if (b.overlayMounted) {
    // Anything still using the tree would keep it busy: wait briefly for stragglers.
    for (let i = 0; i < 20; i++) {
      const r = await cleanup('umount', [b.tree]);
      if (r.code === 0) {
        b.overlayMounted = false;
        break;
      }
      await sleep(500);
    }
    if (b.overlayMounted) b.log(`could not unmount ${b.tree}: unmount it by hand`);
  }
  if (!keepWork && !b.overlayMounted) fs.rmSync(b.work, { recursive: true, force: true });
}

/** Versions of everything that shapes the figures (the JSON's meta.versions). */
export async function versions(b: Bench): Promise<Record<string, string | number>> {
  const first = async (f: string, a: string[]): Promise<string> => {
    const r = await run(f, a, { capture: true, env: b.env });
    return (r.stdout || r.stderr).trim().split('\n')[0];
  };
  const srcModified = (await run('git', ['-C', b.repo, 'diff', '--quiet', 'HEAD', '--', 'src'])).code ? ' (src modified)' : '';
  const v: Record<string, string | number> = {
    node: process.version,
    kernel: os.release(),
    cpus: os.availableParallelism(),
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    make: await first('make', ['--version']),
    hostGcc: await first('gcc', ['--version']),
    tree: `${b.cfg.pristine} (${(await first('make', ['-s', '-C', b.tree, 'kernelversion'])) || '?'})`,
    git: (await first('git', ['-C', b.repo, 'rev-parse', '--short', 'HEAD'])) + srcModified,
  };
  for (const e of b.cfg.engines) {
    v[e] = await first(e, ['--version']);
    v[`${e}ImageGcc`] = await first(e, ['run', '--rm', '--network=none', b.cfg.image, 'gcc', '--version']);
  }
  if (b.cfg.engines.includes('docker')) v.dockerServer = await first('docker', ['version', '--format', '{{.Server.Version}}']);
  return v;
}
