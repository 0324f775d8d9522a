/**
 * Beyond Kratos: what lets others verify the session JWTs whoami issues without calling us. `/.well-known/jwks.json`
 * publishes every tokenizer template's public keys (private members removed, each with its `kid`), and
 * `/.well-known/openid-configuration` names the issuer and that key set: API Gateway's JWT authorizer finds the keys
 * there (it reads `jwks_uri` from `<issuer>/.well-known/openid-configuration`). This is no OpenID provider: the
 * document carries only what a verifier of these tokens reads.
 */
import { publishedKeys, type TokenizerConfig } from '../config/tokenizer.js';

export const WELL_KNOWN_DOCUMENTS = ['jwks.json', 'openid-configuration'] as const;

/** The document `name`, or undefined for one we do not serve. */
export function wellKnownDocument(name: string, tokenizer: TokenizerConfig, publicBaseUrl: string): Record<string, unknown> | undefined {
  if (name === 'jwks.json') return { keys: publishedKeys(tokenizer) };
  if (name === 'openid-configuration') {
    const algorithms = [...new Set(Object.values(tokenizer.templates).map((t) => t.keys[0].alg).filter(Boolean))];
    return {
      issuer: publicBaseUrl,
      jwks_uri: `${publicBaseUrl}/.well-known/jwks.json`,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: algorithms,
    };
  }
  return undefined;
}
