/**
 * Item layout of the single table. Every item is addressed by `pk` alone:
 *   IDENTITY#<id>                      the identity, its traits and its password credential
 *   IDENTIFIER#password#<identifier>   uniqueness claim of a normalised identifier -> identity id, with what a
 *                                      login needs (password hash, revision, the identity copy for its session),
 *                                      rewritten in every transaction that changes the identity
 *   SESSION#<sha256(token)>            a session, with a snapshot of its identity (whoami is one read)
 *   FLOW#<id>                          a self-service flow (TTL-expired by DynamoDB, checked on read)
 *   ERROR#<id>                         a self-service error shown to a browser (TTL-expired)
 *   ADDRESS#<kind>#email#<address>     uniqueness claim of a recovery or verifiable address -> identity id
 *   CREDENTIAL#oidc#<provider>:<sub>   uniqueness claim of a linked provider account -> identity id
 *   CREDENTIAL#<passkey|webauthn>#<id> uniqueness claim of a passkey's user handle, a WebAuthn identifier -> identity id
 *   MESSAGE#<id>                       a courier message: queued, then sent or abandoned (TTL-expired after)
 *   SESSIONS#<identity id>#<hour>      the token hashes of an identity's sessions expiring in that hour (read strongly,
 *                                      unlike a GSI, so an identity change reaches every session before it answers)
 *   THROTTLE#<key>                     a guessing-limit counter of a hashed identifier or address (TTL-expired)
 * gsi1 lists collections in id order (IDENTITIES, SESSIONS) and queued messages by due time (COURIER#queued);
 * gsi2 lists an identity's sessions, and every message newest first (COURIER#messages).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { newestFirstKey, type CourierMessage } from '../../courier/model.js';
import type { FlowRecord } from '../../flows/model.js';
import { addressesFromJson, hasCodeAddresses, reachableAalOf, sessionCopyOf, type ClaimType, type Factors, type Identity, type OidcLink } from '../../identity/model.js';
import type { Session } from '../../session/model.js';

export type Item = Record<string, AttributeValue>;

export const keys = {
  identity: (id: string) => ({ pk: { S: `IDENTITY#${id}` } }),
  identifier: (identifier: string) => ({ pk: { S: `IDENTIFIER#password#${identifier}` } }),
  session: (tokenHash: string) => ({ pk: { S: `SESSION#${tokenHash}` } }),
  flow: (id: string) => ({ pk: { S: `FLOW#${id}` } }),
  error: (id: string) => ({ pk: { S: `ERROR#${id}` } }),
  message: (id: string) => ({ pk: { S: `MESSAGE#${id}` } }),
  /** The sessions of an identity that expire within one hour (`hour`: epoch hours): the index whoami's refusals rely on. */
  sessionIndex: (identityId: string, hour: number) => ({ pk: { S: `SESSIONS#${identityId}#${hour}` } }),
  /** A guessing-limit counter (its key already a hash: lib/flows/throttle.ts). */
  throttle: (key: string) => ({ pk: { S: `THROTTLE#${key}` } }),
  /** Which identity holds a recovery or verifiable address (unique, as Kratos's (via, value) indexes). */
  address: (kind: AddressKind, value: string) => ({ pk: { S: `ADDRESS#${kind}#email#${value}` } }),
  /** Which identity holds a credential identifier of another type than the password's (`oidc`: `<provider>:<sub>`). */
  credential: (type: ClaimType, identifier: string) => ({ pk: { S: `CREDENTIAL#${type}#${identifier}` } }),
};

/** A flow's `internal` entry of one method is the attribute `internal_<method>`. */
const INTERNAL_PREFIX = 'internal_';
export const internalAttribute = (method: string) => `${INTERNAL_PREFIX}${method}`;

/** gsi1 partition of the courier's queue: only queued messages carry it (a sparse index), sorted by when they are due. */
export const COURIER_QUEUE = 'COURIER#queued';
/** How long a delivered or abandoned message is kept (TTL), for the operator to look at. */
export const MESSAGE_RETENTION_SECONDS = 7 * 24 * 3600;

export type AddressKind = 'recovery' | 'verification';

export const IDENTITIES_COLLECTION = 'IDENTITIES';
export const SESSIONS_COLLECTION = 'SESSIONS';

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });
const json = (value: unknown): AttributeValue => ({ S: JSON.stringify(value ?? null) });
const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

function str(item: Item, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw new Error(`stored item lacks attribute ${name}`);
  return value;
}
const optStr = (item: Item, name: string) => item[name]?.S;
const date = (item: Item, name: string) => new Date(str(item, name));
const parse = (item: Item, name: string): unknown => (item[name]?.S === undefined ? null : JSON.parse(item[name].S!));

/** Attributes an ordinary identity read may load: everything but the password hash. */
export const PUBLIC_IDENTITY_ATTRIBUTES = [
  'pk',
  'id',
  'schema_id',
  'state',
  'state_changed_at',
  'traits',
  'metadata_public',
  'metadata_admin',
  'created_at',
  'updated_at',
  'identifiers',
  'addresses',
  'password_created_at',
  'password_updated_at',
  'oidc',
  'external_id',
  'available_aal',
  'code_addresses',
  'revision',
];

export function identityToItem(identity: Identity): Item {
  const item: Item = {
    ...keys.identity(identity.id),
    kind: s('identity'),
    id: s(identity.id),
    schema_id: s(identity.schemaId),
    state: s(identity.state),
    state_changed_at: s((identity.stateChangedAt ?? identity.createdAt).toISOString()),
    traits: json(identity.traits),
    metadata_public: json(identity.metadataPublic),
    metadata_admin: json(identity.metadataAdmin),
    created_at: s(identity.createdAt.toISOString()),
    updated_at: s(identity.updatedAt.toISOString()),
    identifiers: json(identity.identifiers ?? identity.password?.identifiers ?? []),
    addresses: json(addressesJson(identity)),
    revision: n(identity.revision ?? 1),
    gsi1pk: s(IDENTITIES_COLLECTION),
    gsi1sk: s(identity.id),
  };
  if (identity.externalId) item.external_id = s(identity.externalId);
  if (identity.password) {
    item.password_created_at = s(identity.password.createdAt.toISOString());
    item.password_updated_at = s(identity.password.updatedAt.toISOString());
    if (identity.password.hashedPassword) item.password_hash = s(identity.password.hashedPassword);
  }
  if (identity.oidc) {
    // The linked accounts (what settings and the claims need) apart from their tokens (a privileged read's).
    const { providers, createdAt, updatedAt } = identity.oidc;
    item.oidc = json({ providers: providers.map(({ provider, subject }) => ({ provider, subject })), createdAt: createdAt.toISOString(), updatedAt: updatedAt.toISOString() });
    const tokens = Object.fromEntries(providers.filter((link) => link.tokens).map((link) => [`${link.provider}:${link.subject}`, link.tokens]));
    if (Object.keys(tokens).length > 0) item.oidc_tokens = json(tokens);
  }
  // Second factors and passkeys (a privileged read's), and what they reach (every read's).
  if (identity.factors && Object.keys(identity.factors).length > 0) {
    item.factors = json(Object.fromEntries(Object.entries(identity.factors).map(([type, c]) => [type, { ...c, createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString() }])));
  }
  if (reachableAalOf(identity) === 'aal2') item.available_aal = s('aal2');
  if (hasCodeAddresses(identity)) item.code_addresses = { BOOL: true };
  return item;
}

function factorsFromJson(raw: unknown): Factors {
  const stored = raw as Record<string, { createdAt: string; updatedAt: string }>;
  return Object.fromEntries(Object.entries(stored).map(([type, c]) => [type, { ...c, createdAt: new Date(c.createdAt), updatedAt: new Date(c.updatedAt) }])) as Factors;
}

export function itemToIdentity(item: Item): Identity {
  const identifiers = (parse(item, 'identifiers') ?? []) as string[];
  const identity: Identity = {
    id: str(item, 'id'),
    schemaId: str(item, 'schema_id'),
    state: str(item, 'state') as Identity['state'],
    traits: (parse(item, 'traits') ?? {}) as Record<string, unknown>,
    metadataPublic: parse(item, 'metadata_public'),
    metadataAdmin: parse(item, 'metadata_admin'),
    createdAt: date(item, 'created_at'),
    updatedAt: date(item, 'updated_at'),
    stateChangedAt: optStr(item, 'state_changed_at') ? date(item, 'state_changed_at') : undefined,
    identifiers,
    revision: Number(item.revision?.N ?? 1),
  };
  const addresses = addressesFromJson(parse(item, 'addresses'));
  if (addresses.verifiable) identity.verifiableAddresses = addresses.verifiable;
  if (addresses.recovery) identity.recoveryAddresses = addresses.recovery;
  if (item.password_created_at) {
    identity.password = {
      identifiers,
      createdAt: date(item, 'password_created_at'),
      updatedAt: date(item, 'password_updated_at'),
    };
    const hash = optStr(item, 'password_hash');
    if (hash) identity.password.hashedPassword = hash;
  }
  const oidc = parse(item, 'oidc') as { providers: { provider: string; subject: string }[]; createdAt: string; updatedAt: string } | null;
  if (oidc) {
    const tokens = (parse(item, 'oidc_tokens') ?? {}) as Record<string, NonNullable<OidcLink['tokens']>>;
    identity.oidc = {
      providers: oidc.providers.map((link) => {
        const kept = tokens[`${link.provider}:${link.subject}`];
        return kept ? { ...link, tokens: kept } : { ...link };
      }),
      createdAt: new Date(oidc.createdAt),
      updatedAt: new Date(oidc.updatedAt),
    };
  }
  const factors = parse(item, 'factors');
  if (factors) identity.factors = factorsFromJson(factors);
  if (item.external_id?.S) identity.externalId = item.external_id.S;
  if (item.available_aal?.S === 'aal2') identity.availableAal = 'aal2';
  if (item.code_addresses?.BOOL) identity.codeAddresses = true;
  return identity;
}

/** The claim of one credential identifier of a type other than the password's. */
export function credentialClaimItem(type: ClaimType, identifier: string, identityId: string): Item {
  return { ...keys.credential(type, identifier), kind: s(`credential_${type}`), identity_id: s(identityId) };
}

/**
 * The uniqueness claim of one identifier, carrying the login's copy of its identity: one read of it (batched
 * with the flow) is all a password login needs, for a known identifier as for an unknown one.
 */
export function identifierClaimItem(identifier: string, identity: Identity): Item {
  const item: Item = {
    ...keys.identifier(identifier),
    kind: s('identifier'),
    identity_id: s(identity.id),
    revision: n(identity.revision ?? 1),
    identity: json(identitySnapshot(identity)),
  };
  if (identity.password?.hashedPassword) item.password_hash = s(identity.password.hashedPassword);
  return item;
}

/** A claim's login copy: the identity (as its sessions carry it, with its revision) and its password hash. */
export function claimToLoginCredential(item: Item): { identity: Identity; hashedPassword?: string } {
  return {
    identity: { ...snapshotToIdentity(parse(item, 'identity') as Record<string, unknown>), revision: Number(item.revision?.N ?? 1) },
    hashedPassword: optStr(item, 'password_hash'),
  };
}

/** The identity snapshot kept on sessions and claims: its session copy (lib/identity/model.ts), as JSON. */
export function identitySnapshot(identity: Identity): unknown {
  const copy = sessionCopyOf(identity);
  return {
    id: copy.id,
    ...(copy.externalId ? { externalId: copy.externalId } : {}),
    schemaId: copy.schemaId,
    state: copy.state,
    traits: copy.traits,
    metadataPublic: copy.metadataPublic,
    createdAt: copy.createdAt.toISOString(),
    updatedAt: copy.updatedAt.toISOString(),
    stateChangedAt: copy.stateChangedAt!.toISOString(),
    identifiers: copy.identifiers,
    addresses: addressesJson(copy),
    ...(copy.availableAal ? { availableAal: copy.availableAal } : {}),
    ...(copy.codeAddresses ? { codeAddresses: true } : {}),
  };
}

/** What an identity item (and its snapshots) keep of its addresses; null for an identity from before addresses. */
function addressesJson(identity: Identity): unknown {
  if (!identity.verifiableAddresses && !identity.recoveryAddresses) return null;
  return { verifiable: identity.verifiableAddresses ?? [], recovery: identity.recoveryAddresses ?? [] };
}

/** A claim of one address for an identity. */
export function addressClaimItem(kind: AddressKind, value: string, identityId: string): Item {
  return { ...keys.address(kind, value), kind: s(`address_${kind}`), identity_id: s(identityId) };
}

/** A session's AMR as stored. */
export const amrItem = (amr: Session['amr']): AttributeValue =>
  json(amr.map((m) => ({ method: m.method, aal: m.aal, completed_at: m.completedAt.toISOString(), ...(m.provider ? { provider: m.provider } : {}) })));

export function sessionToItem(session: Session, tokenHash: string): Item {
  return {
    ...keys.session(tokenHash),
    kind: s('session'),
    id: s(session.id),
    identity_id: s(session.identityId),
    active: { BOOL: session.active },
    authenticated_at: s(session.authenticatedAt.toISOString()),
    issued_at: s(session.issuedAt.toISOString()),
    expires_at: s(session.expiresAt.toISOString()),
    devices: json(session.devices),
    amr: amrItem(session.amr),
    identity: json(identitySnapshot(session.identity)),
    ttl: n(epochSeconds(session.expiresAt)),
    gsi1pk: s(SESSIONS_COLLECTION),
    gsi1sk: s(session.id),
    gsi2pk: s(`IDENTITY#${session.identityId}`),
    gsi2sk: s(`${session.issuedAt.toISOString()}#${session.id}`),
  };
}

function snapshotToIdentity(snapshot: Record<string, unknown>): Identity {
  return {
    id: snapshot.id as string,
    ...(typeof snapshot.externalId === 'string' ? { externalId: snapshot.externalId } : {}),
    schemaId: snapshot.schemaId as string,
    state: snapshot.state as Identity['state'],
    traits: snapshot.traits as Record<string, unknown>,
    metadataPublic: snapshot.metadataPublic,
    metadataAdmin: null,
    createdAt: new Date(snapshot.createdAt as string),
    updatedAt: new Date(snapshot.updatedAt as string),
    stateChangedAt: snapshot.stateChangedAt ? new Date(snapshot.stateChangedAt as string) : undefined,
    ...(Array.isArray(snapshot.identifiers) ? { identifiers: snapshot.identifiers as string[] } : {}),
    ...snapshotAddresses(snapshot.addresses),
    ...(snapshot.availableAal === 'aal2' ? { availableAal: 'aal2' as const } : {}),
    ...(snapshot.codeAddresses === true ? { codeAddresses: true } : {}),
  };
}

function snapshotAddresses(raw: unknown): Pick<Identity, 'verifiableAddresses' | 'recoveryAddresses'> {
  const addresses = addressesFromJson(raw);
  return { ...(addresses.verifiable ? { verifiableAddresses: addresses.verifiable } : {}), ...(addresses.recovery ? { recoveryAddresses: addresses.recovery } : {}) };
}

export function itemToSession(item: Item): Session {
  return {
    tokenHash: str(item, 'pk').slice('SESSION#'.length),
    id: str(item, 'id'),
    active: item.active?.BOOL === true,
    identityId: str(item, 'identity_id'),
    authenticatedAt: date(item, 'authenticated_at'),
    issuedAt: date(item, 'issued_at'),
    expiresAt: date(item, 'expires_at'),
    devices: (parse(item, 'devices') ?? []) as Session['devices'],
    amr: amrOf(item),
    identity: snapshotToIdentity(parse(item, 'identity') as Record<string, unknown>),
  };
}

/** A session's AMR; a session stored before AMRs were kept had one factor, its `method` (else a password). */
function amrOf(item: Item): Session['amr'] {
  const stored = parse(item, 'amr') as { method: string; aal: 'aal1' | 'aal2'; completed_at: string; provider?: string }[] | null;
  if (stored) return stored.map((m) => ({ method: m.method, aal: m.aal, completedAt: new Date(m.completed_at), ...(m.provider ? { provider: m.provider } : {}) }));
  return [{ method: optStr(item, 'method') ?? 'password', aal: 'aal1', completedAt: date(item, 'authenticated_at') }];
}

export function flowToItem(flow: FlowRecord): Item {
  const item: Item = {
    ...keys.flow(flow.id),
    kind: s('flow'),
    id: s(flow.id),
    flow_type: s(flow.type),
    mode: s(flow.mode),
    state: s(flow.state),
    request_url: s(flow.requestUrl),
    issued_at: s(flow.issuedAt.toISOString()),
    expires_at: s(flow.expiresAt.toISOString()),
    expires_at_ms: n(flow.expiresAt.getTime()),
    // DynamoDB deletes expired items within days, so an hour of grace lets reads still answer 410, not 404.
    ttl: n(epochSeconds(flow.expiresAt) + 3600),
  };
  if (flow.refresh !== undefined) item.refresh = { BOOL: flow.refresh };
  if (flow.identityId) item.identity_id = s(flow.identityId);
  if (flow.messages?.length) item.messages = json(flow.messages);
  if (flow.returnTo) item.return_to = s(flow.returnTo);
  if (flow.refreshIdentifier) item.refresh_identifier = s(flow.refreshIdentifier);
  if (flow.schemaId) item.schema_id = s(flow.schemaId);
  if (flow.csrfToken) item.csrf_token = s(flow.csrfToken);
  if (flow.exchangeCodeHash) item.exchange_code_hash = s(flow.exchangeCodeHash);
  if (flow.madeByAdmin) item.made_by_admin = { BOOL: true };
  if (flow.ui) item.ui = json(flow.ui);
  if (flow.active) item.active = s(flow.active);
  if (flow.screen) item.screen = s(flow.screen);
  if (flow.firstScreen) item.first_screen = json(flow.firstScreen);
  if (flow.code) Object.assign(item, codeAttributes(flow.code));
  if (flow.submissions !== undefined) item.submissions = n(flow.submissions);
  if (flow.sends !== undefined) item.sends = n(flow.sends);
  if (flow.continueWith?.length) item.continue_with = json(flow.continueWith);
  if (flow.oidc) item.oidc = json(flow.oidc);
  for (const [method, value] of Object.entries(flow.internal ?? {})) item[internalAttribute(method)] = json(value);
  if (flow.requestedAal) item.requested_aal = s(flow.requestedAal);
  return item;
}

/** A sent code on its flow: the HMAC on its own (conditions compare it), the rest as JSON. */
export function codeAttributes(code: NonNullable<FlowRecord['code']>): Item {
  return {
    code_hmac: s(code.hmac),
    code: json({ expiresAt: code.expiresAt.toISOString(), address: code.address, identityId: code.identityId ?? null, ...(code.traits ? { traits: code.traits } : {}) }),
  };
}

export function itemToFlow(item: Item): FlowRecord {
  const flow: FlowRecord = {
    id: str(item, 'id'),
    type: str(item, 'flow_type') as FlowRecord['type'],
    mode: optStr(item, 'mode') === 'browser' ? 'browser' : 'api',
    state: str(item, 'state') as FlowRecord['state'],
    requestUrl: str(item, 'request_url'),
    issuedAt: date(item, 'issued_at'),
    expiresAt: date(item, 'expires_at'),
  };
  if (item.refresh?.BOOL !== undefined) flow.refresh = item.refresh.BOOL;
  const identityId = optStr(item, 'identity_id');
  if (identityId) flow.identityId = identityId;
  if (item.messages) flow.messages = parse(item, 'messages') as FlowRecord['messages'];
  const schemaId = optStr(item, 'schema_id');
  if (schemaId) flow.schemaId = schemaId;
  const refreshIdentifier = optStr(item, 'refresh_identifier');
  if (refreshIdentifier) flow.refreshIdentifier = refreshIdentifier;
  const returnTo = optStr(item, 'return_to');
  if (returnTo) flow.returnTo = returnTo;
  const exchangeCodeHash = optStr(item, 'exchange_code_hash');
  if (exchangeCodeHash) flow.exchangeCodeHash = exchangeCodeHash;
  const csrfToken = optStr(item, 'csrf_token');
  if (csrfToken) flow.csrfToken = csrfToken;
  if (item.made_by_admin?.BOOL) flow.madeByAdmin = true;
  if (item.ui) flow.ui = parse(item, 'ui') as FlowRecord['ui'];
  const active = optStr(item, 'active');
  if (active) flow.active = active;
  const screen = optStr(item, 'screen');
  if (screen) flow.screen = screen as FlowRecord['screen'];
  if (item.first_screen) flow.firstScreen = parse(item, 'first_screen') as FlowRecord['firstScreen'];
  if (item.oidc) flow.oidc = parse(item, 'oidc') as FlowRecord['oidc'];
  const internal = Object.entries(item).filter(([name]) => name.startsWith(INTERNAL_PREFIX));
  if (internal.length > 0) flow.internal = Object.fromEntries(internal.map(([name, value]) => [name.slice(INTERNAL_PREFIX.length), JSON.parse(value.S!)]));
  if (item.requested_aal?.S === 'aal2') flow.requestedAal = 'aal2';
  const hmac = optStr(item, 'code_hmac');
  if (hmac) {
    const code = parse(item, 'code') as { expiresAt: string; address: string; identityId: string | null; traits?: Record<string, unknown> };
    flow.code = { hmac, expiresAt: new Date(code.expiresAt), address: code.address, ...(code.identityId ? { identityId: code.identityId } : {}), ...(code.traits ? { traits: code.traits } : {}) };
  }
  if (item.submissions?.N !== undefined) flow.submissions = Number(item.submissions.N);
  if (item.sends?.N !== undefined) flow.sends = Number(item.sends.N);
  if (item.continue_with) flow.continueWith = parse(item, 'continue_with') as FlowRecord['continueWith'];
  return flow;
}

/** A client's failures across identifiers, as its counter item holds them. */
export function itemToFailures(item: Item | undefined): { count: number; windowEndsAt: Date } | undefined {
  if (!item?.window_ends_at?.N) return undefined;
  return { count: Number(item.attempts?.N ?? 0), windowEndsAt: new Date(Number(item.window_ends_at.N)) };
}

/** The queue's sort key: due time, then id (unique). */
export const queueSortKey = (message: Pick<CourierMessage, 'nextAttemptAt' | 'id'>) => `${message.nextAttemptAt.toISOString()}#${message.id}`;

/** gsi2 partition of every e-mail message (the admin API's list), sorted newest first. */
export const COURIER_MESSAGES = 'COURIER#messages';

export function messageToItem(message: CourierMessage): Item {
  const item: Item = {
    ...keys.message(message.id),
    kind: s('message'),
    id: s(message.id),
    channel: s(message.channel),
    recipient: s(message.recipient),
    template_type: s(message.templateType),
    template_data: json(message.templateData),
    status: s(message.status),
    send_count: n(message.sendCount),
    created_at: s(message.createdAt.toISOString()),
    updated_at: s(message.updatedAt.toISOString()),
    next_attempt_at: s(message.nextAttemptAt.toISOString()),
  };
  // Only e-mail is the admin API's to list (Kratos's courier messages); anything else the courier delivers is not.
  if (message.channel === 'email') {
    item.gsi2pk = s(COURIER_MESSAGES);
    item.gsi2sk = s(newestFirstKey(message));
  }
  if (message.status === 'queued') {
    item.gsi1pk = s(COURIER_QUEUE);
    item.gsi1sk = s(queueSortKey(message));
  } else {
    item.ttl = n(epochSeconds(message.updatedAt) + MESSAGE_RETENTION_SECONDS);
  }
  if (message.traceparent) item.traceparent = s(message.traceparent);
  if (message.lastError) item.last_error = s(message.lastError);
  return item;
}

export function itemToMessage(item: Item): CourierMessage {
  const message: CourierMessage = {
    id: str(item, 'id'),
    channel: item.channel?.S === 'webhook' ? 'webhook' : 'email',
    recipient: str(item, 'recipient'),
    templateType: str(item, 'template_type') as CourierMessage['templateType'],
    // A sent or abandoned message keeps no template data (it held the code).
    templateData: (parse(item, 'template_data') ?? { to: str(item, 'recipient') }) as CourierMessage['templateData'],
    status: str(item, 'status') as CourierMessage['status'],
    sendCount: Number(item.send_count?.N ?? '0'),
    createdAt: date(item, 'created_at'),
    updatedAt: date(item, 'updated_at'),
    nextAttemptAt: date(item, 'next_attempt_at'),
  };
  const traceparent = optStr(item, 'traceparent');
  if (traceparent) message.traceparent = traceparent;
  const lastError = optStr(item, 'last_error');
  if (lastError) message.lastError = lastError;
  return message;
}

/** Just the addresses of an identity item (for deleting their claims). */
export function itemToIdentityAddresses(item: Item): Pick<Identity, 'verifiableAddresses' | 'recoveryAddresses'> {
  return snapshotAddresses(parse(item, 'addresses'));
}
