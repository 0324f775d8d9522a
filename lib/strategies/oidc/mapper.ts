/**
 * A provider's claims mapper: Kratos's Jsonnet program reading `std.extVar('claims')` and answering
 * `{identity: {traits, metadata_public?, metadata_admin?, verified_addresses?}}`, run by our own evaluator
 * (lib/jsonnet). Its source is read once per cold start from its `mapper_url`: `base64://` inline, `file://` from the
 * working directory (or the `oidc-mappers.json` a package ships beside the bundle), `http(s)://` fetched.
 */
import { KratosError } from '../../errors/index.js';
import type { FetchLike } from '../../tracing/http-client.js';
import { readSource } from '../../util/sources.js';
import { isPlainObject as isObject } from '../../util/objects.js';

export { PACKAGED_MAPPERS_FILE } from '../../util/sources.js';

export interface MappedIdentity {
  traits: Record<string, unknown>;
  metadataPublic?: unknown;
  metadataAdmin?: unknown;
  /** Addresses the provider vouches for (`via` + `value`): created verified. */
  verifiedAddresses: { via: string; value: string }[];
}

/** A mapper that cannot be read or run, or answers the wrong shape: the operator's mistake, named (500, as Kratos). */
export class MapperError extends KratosError {
  override name = 'MapperError';
  constructor(providerId: string, why: string) {
    super(500, { reason: `The Jsonnet mapper of provider "${providerId}" ${why}` });
  }
}

/** The mapper's source text (lib/util/sources.ts). */
export const readMapperSource = (url: string, fetcher: FetchLike = fetch): Promise<string> => readSource(url, fetcher);

/** A mapper of one provider, its source read at first use (a failed read is retried by the next). */
export function createMapper(providerId: string, url: string, fetcher?: FetchLike) {
  let source: Promise<string> | undefined;
  const load = () => {
    source ??= readMapperSource(url, fetcher).catch((error: unknown) => {
      source = undefined;
      throw new MapperError(providerId, `could not be read from ${url.slice(0, 80)}: ${error instanceof Error ? error.message : String(error)}`);
    });
    return source;
  };

  return async function map(claims: Record<string, unknown>): Promise<MappedIdentity> {
    const program = await load();
    // Loaded at the first mapping (no part of the functions that map no provider's claims, whoami's say).
    const { evaluate } = await import('../../jsonnet/index.js');
    let result: unknown;
    try {
      result = evaluate(program, { extCode: { claims: JSON.stringify(claims) } });
    } catch (error) {
      throw new MapperError(providerId, `failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
    const identity = isObject(result) ? result.identity : undefined;
    if (!isObject(identity)) throw new MapperError(providerId, 'must answer an object with an "identity" object');
    const traits = identity.traits ?? {};
    if (!isObject(traits)) throw new MapperError(providerId, 'must answer identity.traits as an object');
    const verified = identity.verified_addresses ?? [];
    if (!Array.isArray(verified) || verified.some((a) => !isObject(a) || typeof a.via !== 'string' || typeof a.value !== 'string')) {
      throw new MapperError(providerId, 'must answer identity.verified_addresses as a list of {via, value}');
    }
    return {
      traits,
      ...(identity.metadata_public !== undefined ? { metadataPublic: identity.metadata_public } : {}),
      ...(identity.metadata_admin !== undefined ? { metadataAdmin: identity.metadata_admin } : {}),
      verifiedAddresses: (verified as { via: string; value: string }[]).map(({ via, value }) => ({ via, value: via === 'email' ? value.toLowerCase() : value })),
    };
  };
}
export type Mapper = ReturnType<typeof createMapper>;
