/** What the in-memory store holds: one map per kind of item, keyed as the DynamoDB table keys them. */
import type { CourierMessage } from '../../courier/model.js';
import type { SelfServiceError } from '../../flows/errors.js';
import type { FlowRecord } from '../../flows/model.js';
import type { Identity } from '../../identity/model.js';
import type { Session } from '../../session/model.js';

export interface IdentifierClaim {
  identityId: string;
  /** The login copy: the identity as its sessions carry it, at `revision`, and its hash. */
  revision: number;
  copy: Identity;
  hashedPassword?: string;
}

/** An identifier's counter: its window, the attempts in it per client and in all, the lockouts. */
export interface ThrottleCounter {
  windowEndsAt: number;
  total: number;
  clients: Record<string, number>;
  locks: Record<string, number>;
  lockedUntil?: number;
}

export interface MemoryTables {
  /** By id, credentials included. */
  identities: Map<string, Identity>;
  /** By normalised identifier. */
  identifiers: Map<string, IdentifierClaim>;
  /** By `<kind>#<address>`: the identity holding it. */
  addresses: Map<string, string>;
  /** By `<type>#<identifier>` (`oidc#<provider>:<subject>`): the identity holding it. */
  credentials: Map<string, string>;
  /** By the hash of their token. */
  sessions: Map<string, Session>;
  flows: Map<string, FlowRecord>;
  errors: Map<string, SelfServiceError>;
  messages: Map<string, CourierMessage & { leaseUntil?: number }>;
  throttle: Map<string, ThrottleCounter>;
  /** A client's failures across identifiers. */
  failures: Map<string, { count: number; windowEndsAt: number }>;
  /** Fixed-window counters. */
  counts: Map<string, number>;
}

export function emptyTables(): MemoryTables {
  return {
    identities: new Map(),
    identifiers: new Map(),
    addresses: new Map(),
    credentials: new Map(),
    sessions: new Map(),
    flows: new Map(),
    errors: new Map(),
    messages: new Map(),
    throttle: new Map(),
    failures: new Map(),
    counts: new Map(),
  };
}
