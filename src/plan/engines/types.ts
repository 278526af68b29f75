// What the planner needs to know about an engine: small verbs, no `if podman`.

/** Facts about the calling user and terminal, gathered once by the CLI. */
export interface HostFacts {
  uid: number;
  gid: number;
  username: string;
  hostname: string;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
}

/** A recognised engine failure: what happened, and what to run about it. */
export interface Explanation {
  message: string;
  hint?: string;
}

export interface Engine {
  name: 'podman' | 'docker';
  /** Words that make every file the container writes belong to uid:gid. */
  userArgs(host: HostFacts): string[];
  /** `ENGINE ...` that removes a container, killing it first, without waiting. */
  removeArgs(container: string): string[];
  /** Words that forbid pulling: the image must exist locally (no registry here). */
  noPullArgs: string[];
  /** Whether extra file descriptors can be handed into the container (`--preserve-fds`). */
  canPassFds: boolean;
  /** Turn the engine's own failure text into one line and the fix, when we recognise it. */
  explainFailure(stderr: string, image: string): Explanation | undefined;
}
