// The library throws these; only the CLI prints them and chooses the exit code.

/** Something the user typed or configured is wrong: nothing was run. */
export class UserError extends Error {
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
