// How the inner make joins the outer make's job pool, so `make -jN` means N
// jobs in total across the container boundary.
import type { Invocation } from '../parse/invocation.js';
import type { Engine } from './engines/index.js';

/** The descriptor the wrapper opens a jobserver FIFO on, inside the container. */
export const FIFO_FD = 8;
/** Where `--preserve-fds` puts the passed pipe ends inside the container. */
export const PASSED_FDS: readonly [number, number] = [3, 4];

export type JobserverPlan =
  /** No parent pool (no -j, -j1, bare -j): the inner make gets -j as typed. */
  | { mode: 'own' }
  /** make 4.4 FIFO: the same path is mounted and opened read-write inside. */
  | { mode: 'fifo'; path: string }
  /** make 4.3 pipe, engine passes descriptors: the pipe ends go in as 3 and 4. */
  | { mode: 'fds'; hostFds: [number, number] }
  /** make 4.3 pipe, engine cannot pass descriptors: a pool of the parent's size inside. */
  | { mode: 'fallback'; count: number | undefined };

/** Decide how the inner make shares the parent's jobserver. */
export function planJobserver(inv: Invocation, engine: Engine): JobserverPlan {
  const js = inv.jobserver;
  if (!js) return { mode: 'own' };
  if (js.style === 'fifo') return { mode: 'fifo', path: js.path };
  if (js.readFd < 0 || js.writeFd < 0) return { mode: 'own' }; // make says the pool is closed to us
  if (engine.canPassFds) return { mode: 'fds', hostFds: [js.readFd, js.writeFd] };
  return { mode: 'fallback', count: inv.jobs.kind === 'count' ? inv.jobs.count : undefined };
}

/** The inner make's words for its job pool. */
export function jobWords(inv: Invocation, plan: JobserverPlan): string[] {
  switch (plan.mode) {
    case 'fifo':
      // Pipe-style auth on one read-write descriptor: make 4.3 and 4.4 both take it.
      return [`--jobserver-auth=${FIFO_FD},${FIFO_FD}`];
    case 'fds':
      return [`--jobserver-auth=${PASSED_FDS[0]},${PASSED_FDS[1]}`];
    case 'fallback':
      return plan.count === undefined ? ['-j'] : [`-j${plan.count}`];
    case 'own':
      if (inv.jobs.kind === 'unlimited') return ['-j'];
      if (inv.jobs.kind === 'count') return [`-j${inv.jobs.count}`];
      return [];
  }
}

/** One line for V=1 saying how the pool is shared. */
export function describeJobserver(plan: JobserverPlan, engine: Engine): string | undefined {
  switch (plan.mode) {
    case 'fifo':
      return `kbuild-container: sharing make's jobserver FIFO ${plan.path} with the container`;
    case 'fds':
      return `kbuild-container: sharing make's jobserver pipe with the container (${engine.name} --preserve-fds)`;
    case 'fallback':
      return `kbuild-container: ${engine.name} cannot pass make's jobserver pipe; the container runs its own pool of ${plan.count ?? 'unlimited'} jobs`;
    case 'own':
      return undefined;
  }
}
