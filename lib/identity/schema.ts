/**
 * The identity schema: which traits exist, how they render as ui nodes, how submitted traits are validated,
 * and which trait values are password identifiers. Only the JSON Schema keywords identity schemas use are
 * supported (type, properties, required, additionalProperties, minLength, maxLength, format: email).
 */
import defaultSchema from '../../kratos/identity.schema.json' with { type: 'json' };
import { messages, type UiText } from '../text/messages.js';

interface JsonSchema {
  type?: string | string[];
  title?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  'ory.sh/kratos'?: { credentials?: { password?: { identifier?: boolean } } };
}

export interface TraitField {
  /** Node name, e.g. `traits.email`. */
  name: string;
  path: string[];
  inputType: 'email' | 'text' | 'number' | 'checkbox';
  required: boolean;
  title?: string;
  passwordIdentifier: boolean;
}

export interface TraitViolation {
  /** The node the message belongs to, or undefined for a flow-level message. */
  node?: string;
  message: UiText;
}

export const DEFAULT_SCHEMA_ID = 'default';

export class IdentitySchema {
  readonly fields: TraitField[];
  private readonly traits: JsonSchema;

  constructor(
    readonly id: string,
    /** The JSON Schema document itself, as `GET /schemas/{id}` serves it. */
    readonly document: JsonSchema,
  ) {
    const schema = document;
    const traits = schema.properties?.traits;
    if (!traits || traits.type !== 'object') throw new Error(`identity schema ${id} has no traits object`);
    this.traits = traits;
    this.fields = [];
    this.collect(traits, []);
    if (!this.fields.some((f) => f.passwordIdentifier)) {
      throw new Error(`identity schema ${id} marks no trait as a password identifier`);
    }
  }

  private collect(schema: JsonSchema, path: string[]): void {
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      const childPath = [...path, key];
      const type = Array.isArray(property.type) ? property.type[0] : property.type;
      if (type === 'object') {
        this.collect(property, childPath);
        continue;
      }
      this.fields.push({
        name: ['traits', ...childPath].join('.'),
        path: childPath,
        inputType:
          property.format === 'email'
            ? 'email'
            : type === 'number' || type === 'integer'
              ? 'number'
              : type === 'boolean'
                ? 'checkbox'
                : 'text',
        required: (schema.required ?? []).includes(key),
        title: property.title,
        passwordIdentifier: property['ory.sh/kratos']?.credentials?.password?.identifier === true,
      });
    }
  }

  /** Validates submitted traits. Returns every violation; an empty list means the traits are valid. */
  validate(traits: unknown): TraitViolation[] {
    const violations: TraitViolation[] = [];
    this.validateValue(traits ?? {}, this.traits, ['traits'], violations);
    return violations;
  }

  private validateValue(value: unknown, schema: JsonSchema, path: string[], out: TraitViolation[]): void {
    const node = path.join('.');
    const allowed = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = jsonType(value);
    if (allowed.length > 0 && !allowed.includes(actual) && !(actual === 'integer' && allowed.includes('number'))) {
      out.push({ node: path.length > 1 ? node : undefined, message: messages.wrongType(allowed, actual) });
      return;
    }
    if (actual === 'object') {
      const object = value as Record<string, unknown>;
      for (const key of schema.required ?? []) {
        if (object[key] === undefined || object[key] === null) {
          out.push({ node: [...path, key].join('.'), message: messages.required(key) });
        }
      }
      for (const [key, child] of Object.entries(object)) {
        const childSchema = schema.properties?.[key];
        if (childSchema) {
          if (child !== undefined && child !== null) this.validateValue(child, childSchema, [...path, key], out);
        } else if (schema.additionalProperties === false) {
          out.push({ message: messages.generic(`additionalProperties "${key}" not allowed`) });
        }
      }
      return;
    }
    if (actual === 'string') {
      const text = value as string;
      const length = [...text].length;
      if (schema.minLength !== undefined && length < schema.minLength) {
        out.push({ node, message: messages.minLength(schema.minLength, length) });
      } else if (schema.maxLength !== undefined && length > schema.maxLength) {
        out.push({ node, message: messages.maxLength(schema.maxLength, length) });
      } else if (schema.format === 'email' && !isEmail(text)) {
        out.push({ node, message: messages.invalidEmail(text) });
      }
    }
  }

  /** The password identifiers of valid traits, trimmed and lower-cased (`A@B.c` and `a@b.c` are one account). */
  passwordIdentifiers(traits: Record<string, unknown>): string[] {
    const identifiers = new Set<string>();
    for (const field of this.fields) {
      if (!field.passwordIdentifier) continue;
      const value = readPath(traits, field.path);
      if (typeof value === 'string' && value.trim() !== '') identifiers.add(normalizeIdentifier(value));
    }
    return [...identifiers];
  }

  /** The label of the login identifier node: the identifier trait's title when there is exactly one. */
  identifierLabel(): UiText {
    const titled = this.fields.filter((f) => f.passwordIdentifier);
    return titled.length === 1 && titled[0].title ? messages.labelFromSchema(titled[0].title) : messages.labelId();
  }
}

export function normalizeIdentifier(identifier: string): string {
  return identifier.trim().toLowerCase();
}

export function readPath(object: unknown, path: string[]): unknown {
  let current: unknown = object;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function isEmail(value: string): boolean {
  // The shape RFC 5322 addr-spec parsers accept for ordinary addresses: one @, no spaces, a dotted or plain domain.
  return /^[^\s@"(),:;<>[\\\]]+@[^\s@"(),:;<>[\\\]]+$/.test(value) && !value.includes('..') && value.length <= 320;
}

let defaultIdentitySchema: IdentitySchema | undefined;
export function getDefaultSchema(): IdentitySchema {
  defaultIdentitySchema ??= new IdentitySchema(DEFAULT_SCHEMA_ID, defaultSchema as JsonSchema);
  return defaultIdentitySchema;
}

/** The identity schemas in use: `GET /schemas`. */
export function listSchemas(): { id: string; schema: object }[] {
  const schema = getDefaultSchema();
  return [{ id: schema.id, schema: schema.document }];
}

/** `GET /schemas/{id}`: by id, or by the base64url of the id (what identities' `schema_url` carries). */
export function findSchema(rawId: string): object | undefined {
  const schema = getDefaultSchema();
  const decoded = /^[A-Za-z0-9_-]+$/.test(rawId) ? Buffer.from(rawId, 'base64url').toString('utf8') : undefined;
  return rawId === schema.id || decoded === schema.id ? schema.document : undefined;
}
