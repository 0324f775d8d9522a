/**
 * Kratos's session tokenizer (session/tokenizer.go): whoami's `?tokenize_as=<template>` answers the session with
 * `tokenized`, a JWT signed by the first key of the template's key set (`alg` and `kid` from that key). Claims as
 * Kratos sets them (`jti`, `iss` = the public base URL, `exp` = now + ttl, `sid`, `nbf`, `iat`, `sub`), then those the
 * template's Jsonnet mapper answers (`{claims: {...}}`, from `std.extVar('session')` and `std.extVar('claims')`)
 * merged over them, and `sub` set again. Keys are imported once per cold start (lib/config/tokenizer.ts); a mapper's
 * source is read at its first use, once. The evaluator and jose are loaded at the first tokenization (./jwt-sign.ts:
 * a file of its own in a Lambda bundle), so a whoami that tokenizes nothing never parses them.
 */
import { randomUUID } from 'node:crypto';
import type { TokenizerConfig, TokenizerTemplate } from '../config/tokenizer.js';
import { BadRequestError, KratosError } from '../errors/index.js';
import { events } from '../tracing/events.js';
import { withSpan } from '../tracing/span.js';
import { readSource, type SourceFetch } from '../util/sources.js';
import { sessionView, type Session } from './model.js';
import { isPlainObject as isObject } from '../util/objects.js';

/** A mapper that cannot be read: the operator's mistake, named (500; the next request reads it again). */
export class TokenizerMapperUnreadableError extends KratosError {
  override name = 'TokenizerMapperUnreadableError';
  constructor(template: string) {
    super(500, { reason: `The claims mapper of tokenizer template "${template}" could not be read.` });
  }
}

export interface TokenizerDeps {
  tokenizer: TokenizerConfig;
  publicBaseUrl: string;
  /** How an http(s) mapper is fetched. */
  fetcher?: SourceFetch;
}

export function createTokenizer({ tokenizer, publicBaseUrl, fetcher }: TokenizerDeps) {
  const sources = new Map<string, Promise<string>>();
  const mapperSource = (template: TokenizerTemplate, url: string): Promise<string> => {
    let source = sources.get(template.name);
    if (!source) {
      source = readSource(url, fetcher).catch(() => {
        sources.delete(template.name);
        throw new TokenizerMapperUnreadableError(template.name);
      });
      sources.set(template.name, source);
    }
    return source;
  };

  /** Kratos's SetSubjectClaim. */
  function setSubject(claims: Record<string, unknown>, session: Session, template: TokenizerTemplate): void {
    if (template.subjectSource === 'external_id') {
      // The session's copy of its identity carries the external id (set through the admin API).
      if (!session.identity.externalId) throw new BadRequestError("The session's identity does not have an external ID set, but it is required for the subject claim.");
      claims.sub = session.identity.externalId;
      return;
    }
    claims.sub = session.identityId;
  }

  async function mapClaims(template: TokenizerTemplate, url: string, session: Session, claims: Record<string, unknown>, now: Date): Promise<void> {
    const program = await mapperSource(template, url);
    let evaluated: unknown;
    try {
      // The session as whoami shows it: no credentials, no metadata_admin.
      const { evaluateMapper } = await import('./jwt-sign.js');
      evaluated = evaluateMapper(program, { session: JSON.stringify(sessionView(session, now, publicBaseUrl)), claims: JSON.stringify(claims) });
    } catch {
      throw new BadRequestError('Unable to execute tokenizer JsonNet.');
    }
    const mapped = isObject(evaluated) ? evaluated.claims : undefined;
    if (!isObject(mapped)) throw new BadRequestError('Expected tokenizer JsonNet to return a claims object but it did not.');
    Object.assign(claims, mapped);
  }

  return {
    /** Whether any template is configured. */
    get configured(): boolean {
      return Object.keys(tokenizer.templates).length > 0;
    },

    /** The session as a JWT of template `name`; a client's or a template's mistake is a 400, as Kratos answers it. */
    tokenize(name: string, session: Session, now: Date): Promise<string> {
      return withSpan('sessions.ManagerHTTP.TokenizeSession', {}, async (span) => {
        const template = Object.hasOwn(tokenizer.templates, name) ? tokenizer.templates[name] : undefined;
        if (!template) throw new BadRequestError(`Unable to find tokenizer template "${name}".`);
        // The name only once it is a configured one: what a client typed is never an attribute.
        span.setAttributes({ 'kratos.tokenizer.template': template.name });
        const [key] = template.keys;
        if (!key.alg || !key.privateKey) throw new BadRequestError(`The JSON Web Key must include a valid "alg" parameter but "${key.alg}" was given.`);
        const seconds = Math.floor(now.getTime() / 1000);
        const claims: Record<string, unknown> = {
          jti: randomUUID(),
          iss: publicBaseUrl,
          exp: Math.floor((now.getTime() + template.ttlMs) / 1000),
          sid: session.id,
          nbf: seconds,
          iat: seconds,
        };
        setSubject(claims, session, template);
        if (template.claimsMapperUrl) await mapClaims(template, template.claimsMapperUrl, session, claims, now);
        setSubject(claims, session, template);
        const { signJwt } = await import('./jwt-sign.js');
        let token: string;
        try {
          token = await signJwt(claims, { alg: key.alg, typ: 'JWT', kid: key.kid }, key.privateKey);
        } catch {
          // A mapper's claim that cannot be signed (a number JSON cannot carry): Kratos's 400.
          throw new BadRequestError('Unable to sign JSON Web Token.');
        }
        events.sessionTokenizedAsJwt(session.identityId, session.id, template.ttlMs);
        return token;
      });
    },
  };
}
export type Tokenizer = ReturnType<typeof createTokenizer>;
