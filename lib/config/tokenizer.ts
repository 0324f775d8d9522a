/**
 * Session tokenization under Kratos's key `session.whoami.tokenizer.templates` (SESSION_WHOAMI_TOKENIZER_TEMPLATES: one
 * JSON object `{"<name>": {"ttl", "jwks_url", "claims_mapper_url", "subject_source"}}`), checked and its keys imported
 * once per cold start: a bad template, JWKS or key stops the cold start (and `npm start`) naming the variable, the
 * template and the field.
 *
 * `jwks_url` is a JSON Web Key Set as Kratos reads it (`file://` or `base64://`; the whole variable may be held in
 * Parameter Store, secrets.ts). Its first key signs, with the `alg` it names (Kratos answers 400 when it names none, at
 * the request, and so do we); the others may be public keys only: keys kept published after a rotation, so that tokens
 * signed before it still verify. Beyond Kratos, `ttl` is required (Kratos reads an omitted one as 0: tokens born
 * expired), and a key without `kid` gets its RFC 7638 thumbprint as its id (a published key set needs ids).
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readLocalSource } from '../util/sources.js';
import { ConfigError, parseDuration, readOptionalString, type Env } from './env.js';
import { isPlainObject as isObject } from '../util/objects.js';

export const TOKENIZER_VARIABLE = 'SESSION_WHOAMI_TOKENIZER_TEMPLATES';

/** What `alg` may be, and the key each needs. */
const ALGORITHMS: Record<string, { kty: string; crv?: string }> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  ES512: { kty: 'EC', crv: 'P-521' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};
export const TOKENIZER_ALGORITHMS = Object.keys(ALGORITHMS);

export interface TokenizerKey {
  kid: string;
  /** Empty when the key names none (the template then answers 400, as Kratos does). */
  alg: string;
  /** Absent for a key that is published only (not the first of its set). */
  privateKey?: KeyObject;
  /** What is published: the public members, `kid`, `alg`, `use: sig`. */
  publicJwk: JsonWebKey & { kid: string };
}

export interface TokenizerTemplate {
  name: string;
  ttlMs: number;
  /** Jsonnet answering `{claims: {...}}` from `std.extVar('session')` and `std.extVar('claims')`. */
  claimsMapperUrl?: string;
  subjectSource: 'id' | 'external_id';
  /** The first signs; every one is published. */
  keys: TokenizerKey[];
}

export interface TokenizerConfig {
  templates: Record<string, TokenizerTemplate>;
}

const TEMPLATE_KEYS = new Set(['ttl', 'jwks_url', 'claims_mapper_url', 'subject_source']);
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** The members RFC 7638 hashes, by key type. */
const THUMBPRINT_MEMBERS: Record<string, string[]> = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] };

function fail(template: string, field: string, why: string): never {
  throw new ConfigError(`${TOKENIZER_VARIABLE}: template "${template}": ${field} ${why}`);
}

function thumbprint(jwk: Record<string, unknown>): string {
  const members = THUMBPRINT_MEMBERS[String(jwk.kty)] ?? [];
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

function readKey(template: string, raw: unknown, index: number): TokenizerKey {
  const where = `jwks_url key #${index}`;
  if (!isObject(raw)) fail(template, where, 'must be a JSON Web Key object');
  const kty = raw.kty;
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') fail(template, where, `must be an RSA, EC or OKP key (kty), got ${JSON.stringify(kty ?? null)}`);
  const alg = raw.alg === undefined ? '' : raw.alg;
  if (typeof alg !== 'string') fail(template, where, 'alg must be a string');
  if (alg) {
    const needs = ALGORITHMS[alg];
    if (!needs) fail(template, where, `alg must be one of ${TOKENIZER_ALGORITHMS.join(', ')}, got "${alg.slice(0, 20)}"`);
    if (needs.kty !== kty || (needs.crv && needs.crv !== raw.crv)) fail(template, where, `alg ${alg} needs a ${needs.kty}${needs.crv ? ` ${needs.crv}` : ''} key`);
  }
  if (raw.kid !== undefined && (typeof raw.kid !== 'string' || !raw.kid)) fail(template, where, 'kid must be a non-empty string');
  const isPrivate = typeof raw.d === 'string';
  if (index === 0 && !isPrivate) fail(template, where, 'signs the tokens: it must be a private key (with "d")');
  let privateKey: KeyObject | undefined;
  let publicJwk: JsonWebKey;
  try {
    // The key's parts as the JWK holds them; node:crypto checks them (a wrong curve point, a bad modulus).
    const jwk = raw as JsonWebKey;
    privateKey = isPrivate ? createPrivateKey({ key: jwk, format: 'jwk' }) : undefined;
    const publicKey = privateKey ? createPublicKey(privateKey) : createPublicKey({ key: jwk, format: 'jwk' });
    // A JWK's private and public members can disagree (node:crypto takes both as given): a signature tells.
    if (privateKey) {
      const probe = Buffer.from('kratos tokenizer key check');
      const digest = kty === 'OKP' ? null : 'sha256';
      if (!verify(digest, probe, publicKey, sign(digest, probe, privateKey))) throw new Error('mismatch');
    }
    publicJwk = publicKey.export({ format: 'jwk' });
  } catch {
    // Never the key's own message: it could quote key material.
    fail(template, where, 'is not a usable key (its members do not make a valid key, or its private and public parts disagree)');
  }
  for (const member of PRIVATE_MEMBERS) delete (publicJwk as Record<string, unknown>)[member];
  const kid = typeof raw.kid === 'string' ? raw.kid : thumbprint(publicJwk as Record<string, unknown>);
  return { kid, alg, privateKey, publicJwk: { ...publicJwk, kid, ...(alg ? { alg } : {}), use: 'sig' } };
}

function readKeySet(template: string, url: string): TokenizerKey[] {
  if (!url.startsWith('file://') && !url.startsWith('base64://')) {
    // As Kratos: fetching signing keys over HTTP makes no sense.
    fail(template, 'jwks_url', `must be a file:// or base64:// URL, got "${url.slice(0, 40)}${url.length > 40 ? '…' : ''}"`);
  }
  let text: string | undefined;
  try {
    text = readLocalSource(url);
  } catch {
    fail(template, 'jwks_url', `could not be read (${url.startsWith('file://') ? url.slice(0, 200) : 'base64://…'})`);
  }
  let set: unknown;
  try {
    set = JSON.parse(text ?? '');
  } catch {
    fail(template, 'jwks_url', 'is not JSON (a JSON Web Key Set: {"keys": [...]})');
  }
  if (!isObject(set) || !Array.isArray(set.keys) || set.keys.length === 0) fail(template, 'jwks_url', 'must hold a JSON Web Key Set with at least one key ({"keys": [...]})');
  const keys = set.keys.map((key, index) => readKey(template, key, index));
  const kids = new Set<string>();
  for (const key of keys) {
    if (kids.has(key.kid)) fail(template, 'jwks_url', `names key "${key.kid}" twice`);
    kids.add(key.kid);
  }
  return keys;
}

function readTemplate(name: string, raw: unknown): TokenizerTemplate {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new ConfigError(`${TOKENIZER_VARIABLE}: template names are 1-64 letters, digits, "_", "-" or ".", got "${name.slice(0, 64)}"`);
  if (!isObject(raw)) fail(name, 'the template', 'must be an object');
  for (const key of Object.keys(raw)) if (!TEMPLATE_KEYS.has(key)) fail(name, key, `is not a template key Kratos knows (${[...TEMPLATE_KEYS].join(', ')})`);
  const ttl = raw.ttl;
  const ttlMs = typeof ttl === 'string' ? parseDuration(ttl) : undefined;
  if (ttlMs === undefined || ttlMs < 1000) fail(name, 'ttl', `must be a duration of at least 1s such as "1m" or "15m" (Kratos reads an omitted one as 0), got ${JSON.stringify(ttl ?? null)}`);
  const jwksUrl = raw.jwks_url;
  if (typeof jwksUrl !== 'string' || !jwksUrl) fail(name, 'jwks_url', 'is required');
  const mapper = raw.claims_mapper_url;
  if (mapper !== undefined && mapper !== '' && (typeof mapper !== 'string' || !/^(file|base64|https?):\/\//.test(mapper))) {
    fail(name, 'claims_mapper_url', 'must be a file://, base64:// or http(s):// URL');
  }
  const subject = raw.subject_source ?? 'id';
  if (subject !== 'id' && subject !== 'external_id' && subject !== '') fail(name, 'subject_source', `must be id or external_id, got ${JSON.stringify(subject)}`);
  return {
    name,
    ttlMs,
    ...(mapper ? { claimsMapperUrl: mapper as string } : {}),
    subjectSource: subject === 'external_id' ? 'external_id' : 'id',
    keys: readKeySet(name, jwksUrl),
  };
}

export function loadTokenizerConfig(env: Env): TokenizerConfig {
  const raw = readOptionalString(env, 'SESSION_WHOAMI_TOKENIZER_TEMPLATES');
  if (raw === undefined) return { templates: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!isObject(parsed)) throw new ConfigError(`${TOKENIZER_VARIABLE} must be a JSON object of templates by name (Kratos's session.whoami.tokenizer.templates)`);
  const templates: Record<string, TokenizerTemplate> = {};
  for (const [name, template] of Object.entries(parsed)) templates[name] = readTemplate(name, template);
  const config = { templates };
  publishedKeys(config);
  return config;
}

/**
 * Every template's public keys, each once (by `kid`; one kid naming two different keys stops the cold start): what
 * `/.well-known/jwks.json` publishes.
 */
export function publishedKeys(config: TokenizerConfig): (JsonWebKey & { kid: string })[] {
  const byKid = new Map<string, JsonWebKey & { kid: string }>();
  for (const template of Object.values(config.templates)) {
    for (const { publicJwk } of template.keys) {
      const known = byKid.get(publicJwk.kid);
      if (known && thumbprint(known as Record<string, unknown>) !== thumbprint(publicJwk as Record<string, unknown>)) {
        throw new ConfigError(`${TOKENIZER_VARIABLE}: key "${publicJwk.kid}" names two different keys (in template "${template.name}" and another)`);
      }
      byKid.set(publicJwk.kid, publicJwk);
    }
  }
  return [...byKid.values()];
}
