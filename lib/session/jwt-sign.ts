/**
 * What only `whoami?tokenize_as=` needs: the Jsonnet claims mapper's evaluation and the JWT's signature (jose). Loaded
 * on demand by lib/session/tokenizer.ts; in a Lambda bundle a file of its own, session-tokenizer.cjs
 * (scripts/package.ts), so a whoami that tokenizes nothing never parses the evaluator or jose.
 */
import { SignJWT } from 'jose';
import { evaluate } from '../jsonnet/index.js';

/** The mapper's value for these ext codes (a JsonnetError when the program fails). */
export function evaluateMapper(program: string, extCode: Record<string, string>): unknown {
  return evaluate(program, { extCode });
}

/** The claims signed as a compact JWS with `key`, the header as given. */
export function signJwt(claims: Record<string, unknown>, header: { alg: string; typ: string; kid?: string }, key: Parameters<SignJWT['sign']>[0]): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}
