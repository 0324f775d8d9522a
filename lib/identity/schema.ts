/**
 * An identity schema: validation of traits with a real JSON Schema implementation (ajv, draft-07, with formats),
 * its errors in Kratos's message ids and texts on the right nodes (ui/container's translation), the trait fields
 * flows render (schema order, nested objects as `traits.name.first`, enums with options, booleans as checkboxes,
 * `title` as the label), and what Kratos's `ory.sh/kratos` extension marks: password identifiers, verifiable and
 * recovery addresses.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import defaultSchemaDocument from '../../kratos/identity.schema.json' with { type: 'json' };
import { messages, type UiText } from '../text/messages.js';
import { normalizeIdentifier } from './identifier.js';

export interface JsonSchema {
  $schema?: string;
  type?: string | string[];
  title?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  disableFormField?: boolean;
  'ory.sh/kratos'?: {
    credentials?: {
      password?: { identifier?: boolean };
      code?: { identifier?: boolean; via?: string };
      totp?: { account_name?: boolean };
      webauthn?: { identifier?: boolean };
      passkey?: { display_name?: boolean };
    };
    verification?: { via?: string };
    recovery?: { via?: string };
  };
  [keyword: string]: unknown;
}

export type TraitInputType = 'text' | 'email' | 'tel' | 'number' | 'checkbox' | 'date' | 'datetime-local' | 'url';

export interface TraitField {
  /** Node name, e.g. `traits.name.first`. */
  name: string;
  path: string[];
  inputType: TraitInputType;
  autocomplete?: 'email' | 'tel' | 'url';
  required: boolean;
  title?: string;
  pattern?: string;
  /** An `enum`: the values a UI offers as a select. */
  options?: unknown[];
  disabled: boolean;
  passwordIdentifier: boolean;
  /**
   * The other credential marks of Kratos's schema extension (`credentials.<method>...`): the traits a method reads (the
   * TOTP account name, a WebAuthn identifier, a passkey's display name, a login code's address).
   */
  marks: CredentialMarks;
  /** `verification.via` / `recovery.via`: this trait is an address of that kind (`email`). */
  verificationVia?: string;
  recoveryVia?: string;
}

export interface CredentialMarks {
  codeIdentifier?: boolean;
  codeVia?: string;
  totpAccountName?: boolean;
  webauthnIdentifier?: boolean;
  passkeyDisplayName?: boolean;
}

export interface TraitViolation {
  /** The node the message belongs to, or undefined for a flow-level message. */
  node?: string;
  message: UiText;
}

/** A schema that cannot be used, named (the caller turns it into a configuration error). */
export class SchemaError extends Error {
  override name = 'SchemaError';
}

const typeOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;

const dotted = (pointer: string): string =>
  pointer
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');

/** ajv's error as the message Kratos shows for it (ui/container translateValidationError). */
function translate(error: ErrorObject, data: unknown): UiText {
  const p = error.params as Record<string, unknown>;
  const value = error.instancePath.split('/').slice(1).reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], data);
  switch (error.keyword) {
    case 'minLength':
      return messages.minLength(p.limit as number, [...String(value)].length);
    case 'maxLength':
      return messages.maxLength(p.limit as number, [...String(value)].length);
    case 'pattern':
      return messages.invalidFormat(String(p.pattern));
    case 'minimum':
      return p.comparison === '>' ? messages.exclusiveMinimum(p.limit as number, value as number) : messages.minimum(p.limit as number, value as number);
    case 'exclusiveMinimum':
      return messages.exclusiveMinimum(p.limit as number, value as number);
    case 'maximum':
      return p.comparison === '<' ? messages.exclusiveMaximum(p.limit as number, value as number) : messages.maximum(p.limit as number, value as number);
    case 'exclusiveMaximum':
      return messages.exclusiveMaximum(p.limit as number, value as number);
    case 'multipleOf':
      return messages.multipleOf(p.multipleOf as number, value as number);
    case 'maxItems':
      return messages.maxItems(p.limit as number, (value as unknown[]).length);
    case 'minItems':
      return messages.minItems(p.limit as number, (value as unknown[]).length);
    case 'uniqueItems':
      return messages.uniqueItems(p.j as number, p.i as number);
    case 'type':
      return messages.wrongType(String(p.type).split(','), typeOf(value));
    case 'const':
      return messages.constant(p.allowedValue);
    case 'enum':
      return messages.generic(`value must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
    case 'format': {
      const format = String(p.format);
      if (format === 'email') return messages.invalidEmail(String(value));
      if (format === 'tel') return messages.invalidPhone(String(value));
      return messages.generic(`${JSON.stringify(value)} is not valid ${JSON.stringify(format)}`);
    }
    case 'additionalProperties':
      return messages.generic(`additionalProperties ${JSON.stringify(p.additionalProperty)} not allowed`);
    default:
      return messages.generic(error.message ?? 'the value is not valid');
  }
}

/**
 * A trait a code is sent to (`credentials.code.identifier` with `via: email`): Kratos's channels are `email` and `sms`;
 * this build mails codes only, so only e-mail traits are code addresses.
 */
const isCodeAddress = (field: TraitField): boolean => field.marks.codeIdentifier === true && field.marks.codeVia === 'email';

export class IdentitySchema {
  readonly fields: TraitField[] = [];
  private validator?: Promise<ValidateFunction>;

  /**
   * `document`: the JSON Schema itself, as `GET /schemas/{id}` serves it; `selectable`: registration may ask for it.
   * Throws SchemaError when it cannot be used.
   */
  constructor(
    readonly id: string,
    readonly document: JsonSchema,
    readonly selectable = false,
  ) {
    if (!document || typeof document !== 'object' || Array.isArray(document)) throw new SchemaError(`identity schema "${id}" is not a JSON object`);
    if (document.$schema && !/draft-07/.test(document.$schema)) {
      throw new SchemaError(`identity schema "${id}" declares ${document.$schema}; identity schemas are JSON Schema draft-07, as Kratos's`);
    }
    const traits = document.properties?.traits;
    if (!traits || traits.type !== 'object') throw new SchemaError(`identity schema "${id}" has no "traits" object`);
    this.collect(traits, []);
    // Something must identify an account at login: a password identifier, or (passwordless) a code address.
    if (!this.fields.some((f) => f.passwordIdentifier || isCodeAddress(f))) {
      throw new SchemaError(`identity schema "${id}" marks no trait as a password identifier ("ory.sh/kratos": {"credentials": {"password": {"identifier": true}}})`);
    }
  }

  private collect(schema: JsonSchema, path: string[]): void {
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      const childPath = [...path, key];
      const type = Array.isArray(property.type) ? property.type.find((t) => t !== 'null') : property.type;
      if (type === 'object') {
        this.collect(property, childPath);
        continue;
      }
      if (type === 'array') continue; // no form field for lists (Kratos renders none either)
      const extension = property['ory.sh/kratos'];
      const byFormat: Partial<Record<string, [TraitInputType, TraitField['autocomplete']?]>> = {
        email: ['email', 'email'],
        tel: ['tel', 'tel'],
        date: ['date'],
        'date-time': ['datetime-local'],
        uri: ['url', 'url'],
      };
      const [inputType, autocomplete] = (property.format && byFormat[property.format]) || [
        type === 'number' || type === 'integer' ? 'number' : type === 'boolean' ? 'checkbox' : 'text',
      ];
      this.fields.push({
        name: ['traits', ...childPath].join('.'),
        path: childPath,
        inputType,
        autocomplete,
        required: (schema.required ?? []).includes(key),
        title: property.title,
        pattern: property.pattern,
        options: Array.isArray(property.enum) ? property.enum.slice(0, 500) : undefined,
        disabled: property.disableFormField === true,
        passwordIdentifier: extension?.credentials?.password?.identifier === true,
        marks: {
          ...(extension?.credentials?.code?.identifier === true ? { codeIdentifier: true, codeVia: extension.credentials.code.via ?? 'email' } : {}),
          ...(extension?.credentials?.totp?.account_name === true ? { totpAccountName: true } : {}),
          ...(extension?.credentials?.webauthn?.identifier === true ? { webauthnIdentifier: true } : {}),
          ...(extension?.credentials?.passkey?.display_name === true ? { passkeyDisplayName: true } : {}),
        },
        verificationVia: extension?.verification?.via,
        recoveryVia: extension?.recovery?.via,
      });
    }
  }

  /**
   * The schema's validator, compiled by ajv at the first validation rather than when the schema is read: compiling
   * (the draft-07 meta-schema the schema is checked against, then the schema) takes about 45 ms of a cold start, and
   * most functions never validate traits (login, recovery, verification, the flows' pages: only registration, settings
   * and the admin API's writes do); ajv itself is loaded then too (validator.ts, a file apart in a Lambda bundle).
   * `npm start` and `npm run package` call it for every schema, so a schema that does not compile is refused before
   * anything runs or is deployed. Rejects with a SchemaError, kept: later requests are refused without compiling again.
   */
  compile(): Promise<ValidateFunction> {
    this.validator ??= import('./validator.js').then(({ compileSchema }) => {
      try {
        return compileSchema(this.document);
      } catch (error) {
        throw new SchemaError(`identity schema "${this.id}" does not compile: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return this.validator;
  }

  /** Validates submitted traits. Every violation, each on its field's node when there is one; none = valid. */
  async validate(traits: unknown): Promise<TraitViolation[]> {
    const data = { traits: traits ?? {} };
    const validator = await this.compile();
    if (validator(data)) return [];
    const names = new Set(this.fields.map((f) => f.name));
    const out: TraitViolation[] = [];
    for (const error of validator.errors ?? []) {
      if (error.keyword === 'required') {
        const missing = String((error.params as { missingProperty: string }).missingProperty);
        const node = [dotted(error.instancePath), missing].filter(Boolean).join('.');
        out.push({ node: names.has(node) ? node : undefined, message: messages.required(missing) });
        continue;
      }
      const node = dotted(error.instancePath);
      out.push({ node: names.has(node) ? node : undefined, message: translate(error, data) });
    }
    return out;
  }

  /** The password identifiers of valid traits, trimmed and lower-cased (`A@B.c` and `a@b.c` are one account). */
  passwordIdentifiers(traits: Record<string, unknown>): string[] {
    return this.valuesOf(traits, (f) => f.passwordIdentifier).map(normalizeIdentifier);
  }

  /** The values of the traits a credential mark names (`totpAccountName`: the TOTP account name), as they are. */
  markedValues(traits: Record<string, unknown>, mark: keyof CredentialMarks): string[] {
    return this.valuesOf(traits, (f) => f.marks[mark] !== undefined && f.marks[mark] !== false);
  }

  /** The addresses `verification.via: email` marks, lower-cased. */
  verifiableAddresses(traits: Record<string, unknown>): string[] {
    return this.valuesOf(traits, (f) => f.verificationVia === 'email').map(normalizeIdentifier);
  }

  /** The code addresses (`credentials.code.identifier` with `via: email`), lower-cased, in schema order. */
  codeAddresses(traits: Record<string, unknown>): string[] {
    return [...new Set(this.valuesOf(traits, isCodeAddress).map(normalizeIdentifier))];
  }

  /** The addresses `recovery.via: email` marks, lower-cased. */
  recoveryAddresses(traits: Record<string, unknown>): string[] {
    return this.valuesOf(traits, (f) => f.recoveryVia === 'email').map(normalizeIdentifier);
  }

  /**
   * The trait nodes a new passkey takes its name from (Kratos's PasskeyDisplayNameFromSchema): those marked
   * `passkey.display_name` or `webauthn.identifier`, sorted; else the first trait without a title; else none.
   */
  passkeyDisplayNameFields(): string[] {
    const marked = this.fields.filter((f) => f.marks.passkeyDisplayName || f.marks.webauthnIdentifier).map((f) => f.name);
    if (marked.length) return marked.sort();
    const untitled = this.fields.find((f) => !f.title);
    return untitled ? [untitled.name] : [];
  }

  /** A passkey's user name from traits: the `passkey.display_name` trait's value, else the `webauthn.identifier` one. */
  passkeyDisplayName(traits: Record<string, unknown>): string | undefined {
    return this.valuesOf(traits, (f) => f.marks.passkeyDisplayName === true)[0] ?? this.webauthnIdentifier(traits);
  }

  /** The `webauthn.identifier` trait's value, lower-cased (Kratos's), if any. */
  webauthnIdentifier(traits: Record<string, unknown>): string | undefined {
    return this.valuesOf(traits, (f) => f.marks.webauthnIdentifier === true)[0]?.toLowerCase();
  }

  private valuesOf(traits: Record<string, unknown>, which: (field: TraitField) => boolean): string[] {
    const values = new Set<string>();
    for (const field of this.fields.filter(which)) {
      const value = readPath(traits, field.path);
      if (typeof value === 'string' && value.trim() !== '') values.add(value);
    }
    return [...values];
  }

  /** The label of the login identifier node: the identifier trait's title when there is exactly one. */
  identifierLabel(): UiText {
    const titled = this.fields.filter((f) => f.passwordIdentifier || isCodeAddress(f));
    return titled.length === 1 && titled[0].title ? messages.labelFromSchema(titled[0].title, 'identifier') : messages.labelId();
  }
}

export function readPath(object: unknown, path: string[]): unknown {
  let node = object;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The identity schemas of a deployment: the default, and every other by id. */
export class SchemaRegistry {
  private readonly byId: Map<string, IdentitySchema>;

  constructor(
    schemas: IdentitySchema[],
    readonly defaultId: string,
  ) {
    this.byId = new Map(schemas.map((s) => [s.id, s]));
    if (!this.byId.has(defaultId)) throw new SchemaError(`the default identity schema "${defaultId}" is not configured`);
  }

  get default(): IdentitySchema {
    return this.byId.get(this.defaultId)!;
  }

  get(id: string | undefined): IdentitySchema | undefined {
    return id === undefined ? this.default : this.byId.get(id);
  }

  list(): IdentitySchema[] {
    return [...this.byId.values()];
  }

  /** `GET /schemas/{id}`: by id, or by the base64url of the id (what identities' `schema_url` carries). */
  find(rawId: string): IdentitySchema | undefined {
    const direct = this.byId.get(rawId);
    if (direct) return direct;
    if (!/^[A-Za-z0-9_-]+$/.test(rawId)) return undefined;
    return this.byId.get(Buffer.from(rawId, 'base64url').toString('utf8'));
  }
}

/** Kratos's quickstart e-mail schema, built in: what a deployment gets without IDENTITY_SCHEMAS. */
export function builtinSchema(id = 'default'): IdentitySchema {
  return new IdentitySchema(id, defaultSchemaDocument as JsonSchema);
}

