import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { checkImageReference } from '../../../src/plan/image-ref.js';

describe('checkImageReference', () => {
  it.each([
    'korg-gcc',
    'korg-gcc:14',
    'korg_gcc.x',
    'registry.example:5000/korg/gcc:14',
    'localhost/korg-gcc',
    `localhost/x@sha256:${'0123456789abcdef'.repeat(4)}`,
    `korg/gcc:14@sha256:${'a'.repeat(64)}`,
  ])('%s is accepted as is', (ref) => {
    expect(checkImageReference(ref)).toBe(ref);
  });

  it.each(['x; rm -rf ~', 'UPPER', 'korg/GCC', '', '-rm', 'a b', 'korg-gcc:', ':14', 'x@sha256:abc', '$(id)', 'korg-gcc\n', `a/${'b'.repeat(255)}`])(
    '%j is refused',
    (ref) => {
      expect(() => checkImageReference(ref)).toThrow(UserError);
      expect(() => checkImageReference(ref)).toThrow('is not a valid image reference');
    },
  );
});
