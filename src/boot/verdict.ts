// Console text → PASS, FAIL or TIMEOUT. Pure: the one place a boot is judged,
// tested with console logs captured from real boots (test/unit/boot/fixtures).

export type Verdict = 'PASS' | 'FAIL' | 'TIMEOUT';

export interface VerdictInput {
  /** Everything the guest printed on its serial console, LF or CRLF lines. */
  console: string;
  /**
   * The per-boot secret our /init prints with the guest command's status. It
   * is only ever in the initramfs (never on the kernel command line, which the
   * kernel echoes), so only our init can print it.
   */
  nonce: string;
  /** Whether BOOT_TIMEOUT stopped QEMU. */
  timedOut: boolean;
}

export interface BootVerdict {
  verdict: Verdict;
  /** What the summary line says after the verdict. */
  reason: string;
  /** The console lines that show it (at most a few). */
  evidence: string[];
  /** What make ... boot exits with. */
  exitCode: number;
  /** The guest command's own exit status, when our init reported one. */
  guestStatus?: number;
}

/** Exit statuses of a boot that did not pass; a failing guest command passes its own status through instead. */
export const BOOT_EXIT = { kernelFailure: 1, timeout: 124 } as const;

/** The line our init prints after the guest command: `<prefix> <nonce> status=<n>`. */
export const RESULT_PREFIX = 'kbuild-container-boot-result';

// Kernel messages that mean the kernel itself failed, most specific first. A
// line may carry a printk time stamp ("[    1.234567] ").
const KERNEL_FAILURES: { pattern: RegExp; reason: string }[] = [
  { pattern: /No working init found|Requested init \S+ failed|Failed to execute \S+ \(error/, reason: 'no working init' },
  { pattern: /Attempted to kill init/, reason: 'init exited (kernel panic)' },
  { pattern: /Kernel panic - not syncing/, reason: 'kernel panic' },
  { pattern: /^(?:kernel )?BUG[: ]|^kernel BUG at /, reason: 'kernel BUG' },
  { pattern: /^Oops[: ]|^Internal error: Oops|^Unable to handle kernel |^general protection fault/, reason: 'kernel oops' },
];

const STAMP = /^\[\s*\d+\.\d+\]\s?/;

/** Judge one boot from its console text. */
export function decideVerdict({ console: text, nonce, timedOut }: VerdictInput): BootVerdict {
  const lines = text.split('\n').map((l) => l.replace(/\r+$/, '').replace(/\r/g, ''));
  const bare = lines.map((l) => l.replace(STAMP, ''));

  // 1. The kernel's own failures win: a panic after (or instead of) the command is a FAIL.
  for (const { pattern, reason } of KERNEL_FAILURES) {
    const at = bare.findIndex((l) => pattern.test(l));
    if (at >= 0) {
      return { verdict: 'FAIL', reason, evidence: context(lines, at), exitCode: BOOT_EXIT.kernelFailure };
    }
  }

  // 2. Our init's report, recognised only with this boot's nonce and only at a line start.
  const marker = new RegExp(`^${RESULT_PREFIX} ${escapeRegExp(nonce)} status=(\\d+)$`);
  for (let i = 0; i < bare.length; i++) {
    const m = marker.exec(bare[i]);
    if (!m) continue;
    const status = Number(m[1]);
    if (status === 0) return { verdict: 'PASS', reason: 'guest command exited 0', evidence: [], exitCode: 0, guestStatus: 0 };
    return { verdict: 'FAIL', reason: `guest command exited ${status}`, evidence: context(lines, i, 3, 0), exitCode: status, guestStatus: status };
  }

  // 3. No report: the time ran out, or the guest stopped before it got there.
  const tail = lines.filter((l) => l.trim() !== '').slice(-3);
  if (timedOut) return { verdict: 'TIMEOUT', reason: 'no result before BOOT_TIMEOUT', evidence: tail, exitCode: BOOT_EXIT.timeout };
  if (tail.length === 0) {
    return {
      verdict: 'FAIL',
      reason: 'no console output (serial console not enabled, or the kernel stopped before it)',
      evidence: [],
      exitCode: BOOT_EXIT.kernelFailure,
    };
  }
  return { verdict: 'FAIL', reason: 'the guest stopped before the command finished', evidence: tail, exitCode: BOOT_EXIT.kernelFailure };
}

function context(lines: string[], at: number, before = 0, after = 2): string[] {
  return lines.slice(Math.max(0, at - before), at + after + 1).filter((l) => l.trim() !== '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
