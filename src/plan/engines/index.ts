// The explicit table of engines: adding one is a new module and a line here.
import { docker } from './docker.js';
import { podman } from './podman.js';
import type { Engine } from './types.js';

export type { Engine, HostFacts } from './types.js';

export const ENGINES: Readonly<Record<string, Engine>> = { podman, docker };

/** When CONTAINER_RUNTIME is not given: the first of these that is installed. */
export const ENGINE_PREFERENCE: readonly string[] = ['podman', 'docker'];
