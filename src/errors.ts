// The library throws these; only the CLI prints them and chooses the exit code.

// The runner ships as several bundles (make path, commands, boot: see
// scripts/bundle.mjs), each with its own copy of these classes; a brand shared
// through the global symbol registry keeps `instanceof` true across them.
const USER_BRAND = Symbol.for('kbuild-container.UserError');
const INFRA_BRAND = Symbol.for('kbuild-container.InfraError');
const branded = (value: unknown, brand: symbol) => typeof value === 'object' && value !== null && brand in value;

/** Something the user typed or configured is wrong: nothing was run. */
export class UserError extends Error {
  static [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, USER_BRAND);
  }
  readonly [USER_BRAND] = true;
  /** What to do about it, when we know (printed after the message, same line). */
  readonly hint?: string;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UserError';
    this.hint = hint;
  }
}

/** What an InfraError carries so the user can see, and paste, what failed. */
export interface Evidence {
  /** The full argv that failed, program first. */
  command?: readonly string[];
  exitCode?: number;
  signal?: string;
  /** What to do about it, when we know. */
  hint?: string;
  cause?: unknown;
}

/** The engine or the host failed us: carries the evidence. */
export class InfraError extends Error {
  static [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, INFRA_BRAND);
  }
  readonly [INFRA_BRAND] = true;
  readonly command?: readonly string[];
  readonly exitCode?: number;
  readonly signal?: string;
  readonly hint?: string;
  constructor(message: string, evidence: Evidence = {}) {
    super(message, { cause: evidence.cause });
    this.name = 'InfraError';
    this.command = evidence.command;
    this.exitCode = evidence.exitCode;
    this.signal = evidence.signal;
    this.hint = evidence.hint;
  }
}
