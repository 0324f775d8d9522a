/**
 * Bounds on what a caller may send, checked before anything is hashed, validated or stored: an identifier or an
 * address is at most 320 bytes (RFC 5321's longest address; DynamoDB keys them, and refuses a key over 2 KiB), and an
 * identity's traits at most 64 KiB of JSON (an item holds 400 KiB, and the identity is copied into its claims and its
 * sessions). Kratos has neither bound (it caps bodies at 5 MiB); without them a 900 KB e-mail held a function for
 * seconds in format validation and then failed as a 500.
 */
import { messages, type UiText } from '../text/messages.js';
import { readPath, type IdentitySchema } from './schema.js';

export const MAX_IDENTIFIER_BYTES = 320;
export const MAX_TRAITS_BYTES = 64 * 1024;

export const byteLength = (value: string) => Buffer.byteLength(value, 'utf8');

/** The message for an identifier or address over the bound (Kratos's 4000017 "length must be <= ..."), or undefined. */
export function identifierTooLong(value: string): UiText | undefined {
  const bytes = byteLength(value);
  return bytes > MAX_IDENTIFIER_BYTES ? messages.maxLength(MAX_IDENTIFIER_BYTES, bytes) : undefined;
}

/**
 * What a set of traits breaks of the bounds, as a flow shows it: an identifier or address trait too long (on its
 * node), else too large as a whole (on the flow). Empty when within them.
 */
export function traitLimitViolations(schema: IdentitySchema, traits: unknown): { flowMessages: UiText[]; nodeMessages: Record<string, UiText[]> } {
  const nodeMessages: Record<string, UiText[]> = {};
  for (const field of schema.fields) {
    if (!field.passwordIdentifier && !field.verificationVia && !field.recoveryVia) continue;
    const value = readPath(traits, field.path);
    const tooLong = typeof value === 'string' ? identifierTooLong(value) : undefined;
    if (tooLong) nodeMessages[field.name] = [tooLong];
  }
  if (Object.keys(nodeMessages).length > 0) return { flowMessages: [], nodeMessages };
  const size = byteLength(JSON.stringify(traits) ?? '');
  const flowMessages = size > MAX_TRAITS_BYTES ? [messages.generic(`The traits are too large: at most ${MAX_TRAITS_BYTES} bytes of JSON, but got ${size}.`)] : [];
  return { flowMessages, nodeMessages };
}

/** Whether a verdict of traitLimitViolations (or the schema's) says anything. */
export const anyViolation = (verdict: { flowMessages: UiText[]; nodeMessages: Record<string, UiText[]> }) =>
  verdict.flowMessages.length > 0 || Object.keys(verdict.nodeMessages).length > 0;
