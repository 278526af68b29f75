// The library throws these; only the CLI prints them and chooses the exit code.

/** Something the user typed or configured is wrong: nothing was run. */
export class UserError extends Error {
  readonly hint?: string;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UserError';
    this.hint = hint;
  }
}

/** The engine or the host failed us: carries the evidence. */
export class InfraError extends Error {
  readonly command?: string;
  readonly exitCode?: number;
  readonly signal?: string;
  readonly hint?: string;
  constructor(message: string, evidence: { command?: string; exitCode?: number; signal?: string; hint?: string; cause?: unknown } = {}) {
    super(message, { cause: evidence.cause });
    this.name = 'InfraError';
    this.command = evidence.command;
    this.exitCode = evidence.exitCode;
    this.signal = evidence.signal;
    this.hint = evidence.hint;
  }
}
