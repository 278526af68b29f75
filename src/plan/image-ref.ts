// An image reference is checked before it reaches any command line.
import { UserError } from '../errors.js';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)';
const TAG = '(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})';
const DIGEST = '(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})';
// The grammar of the OCI distribution reference: [domain/]path[:tag][@digest].
const REFERENCE = new RegExp(`^${DOMAIN}?${COMPONENT}(?:/${COMPONENT})*${TAG}?${DIGEST}?$`);

/** Throw a user error unless `ref` is a valid image reference. */
export function checkImageReference(ref: string): string {
  if (ref.length > 255 || !REFERENCE.test(ref)) {
    throw new UserError(`CONTAINER='${ref}' is not a valid image reference (expected e.g. korg-gcc or registry.example/korg/gcc:14)`);
  }
  return ref;
}
