import type { Engine, Explanation, HostFacts } from './types.js';

export const podman: Engine = {
  name: 'podman',
  userArgs(host: HostFacts): string[] {
    // Rootless: keep-id maps the caller's uid to itself inside the user namespace.
    // Rootful: keep-id is rejected ("keep-id is only supported in rootless mode"),
    // and there is no user namespace, so --user alone makes files the caller's.
    if (host.uid !== 0) return ['--userns=keep-id', `--user=${host.uid}:${host.gid}`];
    return [`--user=${host.uid}:${host.gid}`];
  },
  removeArgs: (container) => ['rm', '--force', '--time=0', container],
  noPullArgs: ['--pull=never'],
  canPassFds: true,
  explainFailure(stderr: string, image: string): Explanation | undefined {
    if (/image not known|no such image|unable to find .* in local storage/i.test(stderr))
      return {
        message: `image '${image}' not found in podman's local store`,
        hint: `build it (podman build -t ${image} ...) or pull it (podman pull ${image})`,
      };
    // Only a remote client (podman --remote, podman machine) talks to a service.
    if (/cannot connect to Podman|unable to connect to Podman/i.test(stderr))
      return {
        message: `podman cannot reach its service: ${firstLine(stderr)}`,
        hint: 'start it (podman machine start, or systemctl --user start podman.socket)',
      };
    return undefined;
  },
};

export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? ''
  );
}
