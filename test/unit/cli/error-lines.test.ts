import { describe, expect, it } from 'vitest';
import { errorLines } from '../../../src/cli/error-lines.js';
import { InfraError, UserError } from '../../../src/errors.js';

describe('errorLines', () => {
  it.each([
    ['a user error: one line', new UserError('CONTAINER is not set'), ['kbuild-container: CONTAINER is not set']],
    ['a user error with a hint: still one line', new UserError("image 'x' not found", 'build it'), ["kbuild-container: image 'x' not found; build it"]],
    ['an infrastructure error without evidence', new InfraError('lost'), ['kbuild-container: lost']],
    [
      'an infrastructure error: command quoted for sh, status, signal, hint',
      new InfraError('podman failed', { command: ['/usr/bin/podman', 'run', 'a b', "it's", '$HOME'], exitCode: 125, signal: 'SIGSEGV', hint: 'try again' }),
      [
        'kbuild-container: podman failed',
        "  command: /usr/bin/podman run 'a b' 'it'\\''s' '$HOME'",
        '  exit status: 125',
        '  signal: SIGSEGV',
        '  hint: try again',
      ],
    ],
  ])('%s', (_name, err, lines) => {
    expect(errorLines(err)).toEqual(lines);
  });

  it('anything else is an internal error with its stack', () => {
    const [line] = errorLines(new TypeError('boom'));
    expect(line).toMatch(/^kbuild-container: internal error: TypeError: boom\n\s+at /);
  });
});
