import type { Engine, Explanation, HostFacts } from './types.js';

export const docker: Engine = {
  name: 'docker',
  // Rootful Docker has no user namespace: --user makes files the caller's.
  userArgs: (host: HostFacts) => [`--user=${host.uid}:${host.gid}`],
  // `docker rm -f` kills at once; it has no --time (20.10) and no --ignore.
  removeArgs: (container) => ['rm', '--force', container],
  noPullArgs: ['--pull=never'],
  canPassFds: false,
  explainFailure(stderr: string, image: string): Explanation | undefined {
    if (/No such image|Unable to find image|pull access denied/i.test(stderr))
      return {
        message: `image '${image}' not found in docker's local store`,
        hint: `build it (docker build -t ${image} ...) or pull it (docker pull ${image})`,
      };
    if (/Cannot connect to the Docker daemon|Is the docker daemon running|error during connect/i.test(stderr))
      return { message: 'the Docker daemon is not reachable', hint: 'start it (systemctl start docker) or use CONTAINER_RUNTIME=podman' };
    if (/permission denied.*docker\.sock/i.test(stderr))
      return { message: 'no permission to use the Docker daemon', hint: 'join the docker group or use CONTAINER_RUNTIME=podman' };
    return undefined;
  },
};
