// The documentation image against a real engine and a real tree: `make
// CONTAINER=korg-kdocs O=DIR SPHINXDIRS=dev-tools htmldocs` on the pristine
// read-only 6.12 tree, as the non-root rootless-Podman user. 6.12 regenerates
// the netlink specs' reST into Documentation/networking/netlink_spec for every
// docs goal: that directory comes from O= (src/plan/docs.ts), the tree is
// never written.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RECIPE_ERROR,
  banner,
  callerIds,
  containersMounting,
  filesNotOwnedBy,
  kernelTree,
  removeScratch,
  runMake,
  scratchDir,
  treeSnapshot,
  type MakeResult,
} from './support.js';

// The family's documentation image (scripts/build-images.sh builds it); the variable lets a run use another copy.
const KDOCS = process.env.KBC_KDOCS_IMAGE ?? 'korg-kdocs';
const KIND = 'rootless';
const TREE = kernelTree('6.12');

let out = '';
let bad = '';
let pristine = '';
let docs: MakeResult;

beforeAll(async () => {
  out = scratchDir(KIND, 'kbc-kdocs-');
  bad = scratchDir(KIND, 'kbc-kdocs-bad-');
  pristine = await treeSnapshot(TREE);
  docs = await runMake(KIND, TREE, [`CONTAINER=${KDOCS}`, `O=${out}`, 'SPHINXDIRS=dev-tools', 'htmldocs']);
  console.log(`6.12 htmldocs SPHINXDIRS=dev-tools in ${KDOCS} (rootless Podman): ${docs.ms} ms`);
});

afterAll(async () => {
  expect(await containersMounting(KIND, [out, bad].filter(Boolean))).toEqual([]);
  for (const dir of [out, bad]) if (dir) removeScratch(dir);
});

describe(`kdocs: htmldocs of linux 6.12's dev-tools in ${KDOCS}, tree read-only, O= elsewhere`, () => {
  it('exits 0 with the HTML index of the directory under O=/Documentation/output', () => {
    expect(docs.exitCode, docs.stderr.slice(-3000)).toBe(0);
    const index = fs.readFileSync(path.join(out, 'Documentation/output/dev-tools/index.html'), 'utf8');
    expect(index.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(index).toMatch(/<title>Development tools for the kernel /);
    // Pages of the directory, not only its index.
    expect(fs.existsSync(path.join(out, 'Documentation/output/dev-tools/checkpatch.html'))).toBe(true);
  });

  it("6.12's generated netlink reST lands under O=, and every file there is the caller's", async () => {
    expect(fs.existsSync(path.join(out, 'Documentation/networking/netlink_spec/index.rst'))).toBe(true);
    const { uid, gid } = callerIds(KIND);
    expect(await filesNotOwnedBy(out, uid, gid)).toEqual([]);
  });

  it('the tree is unchanged (no file written, replaced or re-owned)', async () => {
    expect(await treeSnapshot(TREE)).toBe(pristine);
  });

  it('htmldocs in an image without Sphinx (korg-gcc:12): one line naming the tool and the image, exit non-zero', async () => {
    const r = await runMake(KIND, TREE, ['CONTAINER=korg-gcc:12', `O=${bad}`, 'SPHINXDIRS=dev-tools', 'htmldocs']);
    console.log(`htmldocs in korg-gcc:12: exit ${r.exitCode} in ${r.ms} ms`);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      banner(KIND, 'korg-gcc:12'),
      "kbuild-container: htmldocs needs sphinx-build, which korg-gcc:12 does not have (korg-kdocs, the family's documentation image, has Sphinx)",
      expect.stringMatching(RECIPE_ERROR),
    ]);
    expect(r.stdout).toBe('');
    expect(await treeSnapshot(TREE)).toBe(pristine);
  });
});
