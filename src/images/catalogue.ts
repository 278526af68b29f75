// The pure "decide" part of the image family: images/family.conf -> members,
// and an image reference -> the family member it names (or why it is not one).

/** One line of images/family.conf. */
export interface FamilyImage {
  kind: 'base' | 'gcc' | 'clang' | 'qemu' | 'kselftest' | 'kdocs' | 'kunit';
  name: string;
  host: string;
  target: string;
  version: string;
  suite: string;
  debian: string[];
  korg?: string;
  tags: string[];
  set: 'default' | 'extra';
}

/** The kinds of line family.conf may have (family.awk knows the same). */
const KINDS: readonly FamilyImage['kind'][] = ['base', 'gcc', 'clang', 'qemu', 'kselftest', 'kdocs', 'kunit'];

const isKind = (k: string): k is FamilyImage['kind'] => (KINDS as readonly string[]).includes(k);

const COLUMNS = ['kind', 'name', 'host', 'target', 'version', 'suite', 'debian', 'korg', 'tags', 'set'] as const;

/** Parse family.conf text (the same file images/Makefile reads) into typed lines. */
export function parseFamily(text: string): FamilyImage[] {
  const images: FamilyImage[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const f = line.split(/\s+/);
    if (f.length !== COLUMNS.length) throw new Error(`family.conf:${index + 1}: ${f.length} columns, ${COLUMNS.length} expected`);
    const [kind, name, host, target, version, suite, debian, korg, tags, set] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!isKind(kind)) throw new Error(`family.conf:${index + 1}: unknown kind '${kind}'`);
    if (set !== 'default' && set !== 'extra') throw new Error(`family.conf:${index + 1}: set must be default or extra, not '${set}'`);
    const list = (v: string) => (v === '-' ? [] : v.split(','));
    images.push({ kind, name, host, target, version, suite, debian: list(debian), korg: korg === '-' ? undefined : korg, tags: list(tags), set });
  });
  return images;
}

/** Machine names as `uname -m` prints them, from Node's process.arch. */
export const HOST_ARCH: Readonly<Record<string, string>> = { x64: 'x86_64', arm64: 'aarch64' };

/** What an image reference is to the family, for a store that lacks it. */
export type ImageDecision =
  | { kind: 'member'; image: FamilyImage; prefix: string; name: string }
  | { kind: 'registry'; reference: string }
  | { kind: 'other'; reference: string };

/**
 * Decide what to do about a missing image: a family name (one of `prefixes`
 * followed by a member's name or tag, `:latest` implied, a leading
 * `localhost/` ignored) is built; a reference whose first component is a
 * registry host (has a dot or a port) is pulled;
 * anything else is neither.
 */
export function decideImage(reference: string, family: FamilyImage[], prefixes: string[], host: string): ImageDecision {
  const bare = reference.replace(/^localhost\//, '');
  const withTag = /:[^/]*$/.test(bare) ? bare : `${bare}:latest`;
  for (const prefix of [...prefixes].sort((a, b) => b.length - a.length)) {
    if (!withTag.startsWith(prefix)) continue;
    const rest = withTag.slice(prefix.length);
    const short = rest.endsWith(':latest') ? rest.slice(0, -':latest'.length) : rest;
    const image = family.find(
      (i) => i.host === host && i.kind !== 'base' && (i.name === rest || i.name === short || i.tags.includes(short) || i.tags.includes(rest)),
    );
    if (image) return { kind: 'member', image, prefix, name: short };
  }
  const first = reference.split('/')[0] ?? '';
  if (reference.includes('/') && (first.includes('.') || first.includes(':'))) return { kind: 'registry', reference };
  return { kind: 'other', reference };
}

/** The prefixes a user's image names may carry: CONTAINER_IMAGES_PREFIX (blank-separated), else korg-. */
export function familyPrefixes(env: NodeJS.ProcessEnv): string[] {
  const words = (env.CONTAINER_IMAGES_PREFIX ?? '').split(/\s+/).filter(Boolean);
  return words.length > 0 ? words : ['korg-'];
}
