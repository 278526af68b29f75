import { describe, expect, it } from 'vitest';
import { buildInvocation, type InvocationInput } from '../../../src/parse/invocation.js';
import { parseAssignment, type Jobs, type Jobserver } from '../../../src/parse/makeflags.js';
import { ENGINES, type HostFacts } from '../../../src/plan/engines/index.js';
import { describeJobserver, jobWords, planJobserver } from '../../../src/plan/jobserver.js';
import { innerMake, planRun } from '../../../src/plan/plan-run.js';

const SRC = '/src/linux';
const HOST: HostFacts = { uid: 0, gid: 0, username: 'root', hostname: 'h', stdinIsTTY: false, stdoutIsTTY: false };

function invocation(jobs: Jobs, jobserver?: Jobserver, more: Partial<InvocationInput> = {}) {
  return buildInvocation({
    cwd: SRC,
    goals: ['bzImage'],
    flags: [],
    jobs,
    jobserver,
    overrides: [parseAssignment('CONTAINER=korg-gcc')!],
    silent: false,
    env: {},
    ...more,
  });
}

const pipe = (readFd: number, writeFd: number): Jobserver => ({ style: 'pipe', readFd, writeFd });
const fifo: Jobserver = { style: 'fifo', path: '/tmp/GMfifo123' };
const j = (count: number): Jobs => ({ kind: 'count', count });
const none: Jobs = { kind: 'default' };
const unlimited: Jobs = { kind: 'unlimited' };

describe('planJobserver and jobWords', () => {
  it.each([
    // engine, jobs, jobserver → plan, inner make's job words
    ['podman', none, undefined, { mode: 'own' }, []],
    ['podman', j(8), undefined, { mode: 'own' }, ['-j8']],
    ['podman', unlimited, undefined, { mode: 'own' }, ['-j']],
    ['podman', j(8), pipe(3, 4), { mode: 'fds', hostFds: [3, 4] }, ['--jobserver-auth=3,4']],
    ['podman', j(8), pipe(5, 6), { mode: 'fds', hostFds: [5, 6] }, ['--jobserver-auth=3,4']],
    ['docker', j(8), pipe(3, 4), { mode: 'fallback', count: 8 }, ['-j8']],
    ['docker', unlimited, pipe(3, 4), { mode: 'fallback', count: undefined }, ['-j']],
    ['podman', j(4), pipe(-2, -2), { mode: 'own' }, ['-j4']],
    ['docker', j(4), pipe(-2, -2), { mode: 'own' }, ['-j4']],
    ['podman', j(8), fifo, { mode: 'fifo', path: '/tmp/GMfifo123' }, ['--jobserver-auth=8,8']],
    ['docker', j(8), fifo, { mode: 'fifo', path: '/tmp/GMfifo123' }, ['--jobserver-auth=8,8']],
  ] as const)('%s, jobs %j, jobserver %j → %j, %j', (engine, jobs, jobserver, plan, words) => {
    const inv = invocation(jobs, jobserver);
    expect(planJobserver(inv, ENGINES[engine])).toEqual(plan);
    expect(jobWords(inv, planJobserver(inv, ENGINES[engine]))).toEqual(words);
  });

  it.each([
    ['podman', undefined, undefined],
    ['podman', pipe(3, 4), /sharing make's jobserver pipe with the container \(podman --preserve-fds\)/],
    ['docker', pipe(3, 4), /docker cannot pass make's jobserver pipe; the container runs its own pool of 8 jobs/],
    ['docker', fifo, /sharing make's jobserver FIFO \/tmp\/GMfifo123 with the container/],
  ] as const)('%s with %j says %s', (engine, jobserver, note) => {
    const inv = invocation(j(8), jobserver);
    const said = describeJobserver(planJobserver(inv, ENGINES[engine]), ENGINES[engine]);
    if (note === undefined) expect(said).toBeUndefined();
    else expect(said).toMatch(note);
  });
});

describe('planRun with a parent jobserver', () => {
  const plan = (engine: 'podman' | 'docker', jobserver?: Jobserver) =>
    planRun({
      invocation: invocation(j(8), jobserver, { flags: ['-k'] }),
      engine: ENGINES[engine],
      enginePath: `/usr/bin/${engine}`,
      host: HOST,
      tree: { srctree: SRC },
      runId: 'r',
    });
  const tail = (args: string[]) => args.slice(args.indexOf('kbuild-container'));

  it('podman: the pipe goes in as descriptors 3 and 4, and make joins it without a -j of its own', () => {
    const p = plan('podman', pipe(5, 6));
    expect(p.args).toContain('--preserve-fds=2');
    expect(p.passFds).toEqual([5, 6]);
    expect(tail(p.args)).toEqual(['kbuild-container', 'kbuild-container-started-r', '', '', 'make', '-k', '--jobserver-auth=3,4', 'bzImage']);
  });

  it("docker: no descriptors, a pool of the parent's size", () => {
    const p = plan('docker', pipe(3, 4));
    expect(p.args.some((a) => a.startsWith('--preserve-fds'))).toBe(false);
    expect(p.passFds).toEqual([]);
    expect(tail(p.args)).toEqual(['kbuild-container', 'kbuild-container-started-r', '', '', 'make', '-k', '-j8', 'bzImage']);
  });

  it.each(['podman', 'docker'] as const)('%s: a FIFO is mounted at its path and handed to the wrapper', (engine) => {
    const p = plan(engine, fifo);
    expect(p.args).toContain('--volume=/tmp/GMfifo123:/tmp/GMfifo123:rw');
    expect(p.passFds).toEqual([]);
    expect(tail(p.args)).toEqual(['kbuild-container', 'kbuild-container-started-r', '/tmp/GMfifo123', '', 'make', '-k', '--jobserver-auth=8,8', 'bzImage']);
  });

  it('no parent pool: no descriptors, no FIFO, -j as typed', () => {
    const p = plan('podman');
    expect(p.passFds).toEqual([]);
    expect(p.jobserverNote).toBeUndefined();
    expect(tail(p.args)).toEqual(['kbuild-container', 'kbuild-container-started-r', '', '', 'make', '-k', '-j8', 'bzImage']);
  });

  it('innerMake defaults to the job words of a run without a parent pool', () => {
    expect(innerMake(invocation(j(3), pipe(3, 4)))).toEqual(['make', '-j3', 'bzImage']);
  });
});
