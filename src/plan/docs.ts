// The documentation goals' needs, decided from the invocation alone: which
// source directories a docs build writes (redirected under O= when the tree is
// read-only) and the one tool an image must have for Sphinx goals.
import path from 'node:path';
import type { Invocation } from '../parse/invocation.js';
import type { Mount, TreeFacts } from './plan-run.js';

/** Kbuild's documentation goals that run Sphinx (DOC_TARGETS less cleandocs, dochelp, refcheckdocs). */
export const SPHINX_GOALS: readonly string[] = ['htmldocs', 'texinfodocs', 'infodocs', 'latexdocs', 'pdfdocs', 'epubdocs', 'xmldocs', 'linkcheckdocs'];

/**
 * Directories, relative to the tree, that the tree's own Makefiles write into
 * the *source* tree even with O= elsewhere, and the goals that write them:
 * some 6.x Documentation/Makefiles (6.12; not 6.1, not 7.2) generate the netlink specs' reST
 * there for every Sphinx goal but linkcheckdocs. With a read-only tree they
 * are mounted from the same path under O=.
 */
export const IN_TREE_OUTPUTS: readonly { dir: string; goals: readonly string[] }[] = [
  { dir: 'Documentation/networking/netlink_spec', goals: SPHINX_GOALS.filter((g) => g !== 'linkcheckdocs') },
];

/** Source directories this run's goals write, each mounted from its twin under O= (planMounts adds them when the tree is read-only). */
export function redirectedOutputs(inv: Invocation, tree: TreeFacts): Mount[] {
  const out = inv.outputDir ?? tree.objtree;
  if (out === undefined) return [];
  return IN_TREE_OUTPUTS.filter((o) => tree.inTreeOutputs?.includes(o.dir) && inv.goals.some((g) => o.goals.includes(g))).map((o) => ({
    path: path.join(tree.srctree, o.dir),
    source: path.join(out, o.dir),
    readOnly: false,
  }));
}

/**
 * For Sphinx goals, a command that refuses in one line when the image lacks
 * SPHINXBUILD (the kernel's own answer is sphinx-pre-install's 40-line
 * advice, printed twice), then execs the build; empty for other goals.
 */
export function sphinxCheck(inv: Invocation): string[] {
  const goal = inv.goals.find((g) => SPHINX_GOALS.includes(g));
  if (goal === undefined) return [];
  const typed = inv.overrides.find((o) => o.name === 'SPHINXBUILD')?.value ?? inv.env.SPHINXBUILD;
  const tool = typed?.trim().split(/\s+/)[0] || 'sphinx-build';
  const message = `kbuild-container: ${goal} needs ${tool}, which ${inv.container.image} does not have (korg-kdocs, the family's documentation image, has Sphinx)`;
  return ['sh', '-c', 'command -v "$1" >/dev/null || { printf \'%s\\n\' "$2" >&2; exit 2; }; shift 2; exec "$@"', 'sphinx-check', tool, message];
}
