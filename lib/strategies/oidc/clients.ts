/** The configured providers' clients and mappers, built once per cold start (nothing is fetched until first used). */
import type { OidcConfig } from '../../config/oidc.js';
import { tracedFetch, type FetchLike } from '../../tracing/http-client.js';
import { createMapper, type Mapper } from './mapper.js';
import { createProviderClient, type ProviderClient } from './provider.js';

export interface OidcClients {
  providers: ReadonlyMap<string, ProviderClient>;
  mappers: ReadonlyMap<string, Mapper>;
}

const built = new WeakMap<OidcConfig, OidcClients>();

export function oidcClients(config: OidcConfig, fetcher: FetchLike = tracedFetch()): OidcClients {
  let clients = built.get(config);
  if (!clients) {
    clients = {
      providers: new Map(config.providers.map((p) => [p.id, createProviderClient(p, fetcher)])),
      mappers: new Map(config.providers.map((p) => [p.id, createMapper(p.id, p.mapperUrl, fetcher)])),
    };
    built.set(config, clients);
  }
  return clients;
}
