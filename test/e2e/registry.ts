// A real OCI distribution registry (Debian's docker-registry 2.8) on
// 127.0.0.1, started and stopped by the tests that need one, and read through
// its own HTTP API, never through the engine that pushed to it.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface Registry {
  /** host:port, e.g. 127.0.0.1:41234 */
  host: string;
  /** What the registry holds: repository → tags, from /v2/_catalog and /v2/NAME/tags/list. */
  contents(): Promise<Record<string, string[]>>;
  /** The image config's labels of NAME:TAG, from its manifest and config blob. */
  labels(name: string, tag: string): Promise<Record<string, string>>;
  /** The manifest digest of NAME:TAG. */
  digest(name: string, tag: string): Promise<string>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const MANIFESTS = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** Start a registry bound to 127.0.0.1 on a free port, with its storage in a fresh temp dir. */
export async function startRegistry(): Promise<Registry> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = path.join(root, 'config.yml');
  fs.writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${root}/data`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', fs.openSync(path.join(root, 'log'), 'w')] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://${host}/v2`;
  const get = async (url: string, accept?: string) => {
    const res = await fetch(url, { headers: accept ? { Accept: accept } : {} });
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return res;
  };
  for (let i = 0; ; i++) {
    try {
      await get(`${base}/`);
      break;
    } catch (err) {
      if (i > 100 || child.exitCode !== null)
        throw new Error(`registry did not start on ${host}: ${(err as Error).message}\n${fs.readFileSync(path.join(root, 'log'), 'utf8')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const manifest = async (name: string, tag: string) => {
    const res = await get(`${base}/${name}/manifests/${tag}`, MANIFESTS);
    return { digest: res.headers.get('docker-content-digest') ?? '', body: (await res.json()) as { config?: { digest: string } } };
  };
  return {
    host,
    async contents() {
      const { repositories } = (await (await get(`${base}/_catalog`)).json()) as { repositories: string[] };
      const out: Record<string, string[]> = {};
      for (const repo of repositories) {
        const { tags } = (await (await get(`${base}/${repo}/tags/list`)).json()) as { tags: string[] | null };
        out[repo] = [...(tags ?? [])].sort();
      }
      return out;
    },
    async labels(name, tag) {
      const { body } = await manifest(name, tag);
      if (!body.config) throw new Error(`${name}:${tag} has no image config (a manifest list?)`);
      const config = (await (await get(`${base}/${name}/blobs/${body.config.digest}`)).json()) as { config?: { Labels?: Record<string, string> } };
      return config.config?.Labels ?? {};
    },
    async digest(name, tag) {
      return (await manifest(name, tag)).digest;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
