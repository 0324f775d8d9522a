/**
 * Renders flows as Kratos serialises them: ui nodes in Kratos's order, submitted values echoed back (never a
 * password), messages on their nodes or on the flow.
 */
import type { IdentitySchema } from '../identity/schema.js';
import { readPath } from '../identity/schema.js';
import { messages, type UiText } from '../text/messages.js';
import type { FlowRecord, FlowView, UiNode, UiNodeAttributes } from './model.js';

export interface RenderOptions {
  /** Submitted values to echo into node values (passwords are never echoed). */
  values?: Record<string, unknown>;
  nodeMessages?: Record<string, UiText[]>;
  messages?: UiText[];
  /** Settings: the identity shown by the flow, in its public form. */
  identity?: Record<string, unknown>;
  /** The `csrf_token` node's value: a browser flow's masked token; empty for an API flow. */
  csrfToken?: string;
  /** Verification once done: where its "Continue" goes (return_to, else the after-verification default). */
  continueUrl?: string;
}

function input(
  group: UiNode['group'],
  attributes: Omit<UiNodeAttributes, 'disabled' | 'node_type'> & { disabled?: boolean },
  label?: UiText,
): UiNode {
  const attrs: UiNodeAttributes = { name: attributes.name, type: attributes.type } as UiNodeAttributes;
  if (attributes.value !== undefined) attrs.value = attributes.value;
  if (attributes.required) attrs.required = true;
  if (attributes.autocomplete) attrs.autocomplete = attributes.autocomplete;
  if (attributes.pattern) attrs.pattern = attributes.pattern;
  if (attributes.options) attrs.options = attributes.options;
  if (attributes.maxlength) attrs.maxlength = attributes.maxlength;
  attrs.disabled = attributes.disabled === true;
  attrs.node_type = 'input';
  return { type: 'input', group, attributes: attrs, messages: [], meta: label ? { label } : {} };
}

// API flows carry an empty CSRF token: native clients are protected by refusing cookies and Origin instead.
const csrfNode = (token: string) => input('default', { name: 'csrf_token', type: 'hidden', value: token, required: true });
const submitNode = (label: UiText) => input('password', { name: 'method', type: 'submit', value: 'password' }, label);

function loginNodes(schema: IdentitySchema, values: Record<string, unknown>, csrf: string, refreshIdentifier?: string): UiNode[] {
  const identifier = refreshIdentifier ?? (typeof values.identifier === 'string' ? values.identifier : '');
  return [
    csrfNode(csrf),
    refreshIdentifier
      ? input('default', { name: 'identifier', type: 'hidden', value: refreshIdentifier, required: true })
      : input('default', { name: 'identifier', type: 'text', value: identifier, required: true }, schema.identifierLabel()),
    input(
      'password',
      { name: 'password', type: 'password', required: true, autocomplete: 'current-password' },
      messages.labelPassword(),
    ),
    submitNode(messages.labelSignInWithPassword()),
  ];
}

/** A node per trait of the schema, in schema order (Kratos's NewInputFieldFromSchema). */
function traitNodes(schema: IdentitySchema, traits: unknown, group: UiNode['group']): UiNode[] {
  return schema.fields.map((field) =>
    input(
      group,
      {
        name: field.name,
        type: field.inputType,
        value: readPath(traits, field.path),
        required: field.required,
        autocomplete: field.autocomplete,
        pattern: field.pattern,
        options: field.options?.map((value) => ({ value })),
        disabled: field.disabled,
      },
      field.title ? messages.labelFromSchema(field.title, field.name) : undefined,
    ),
  );
}

function registrationNodes(schema: IdentitySchema, values: Record<string, unknown>, csrf: string): UiNode[] {
  const traits = traitNodes(schema, values.traits, 'password');
  // Kratos puts the password right after the identifier trait(s), then the remaining traits in schema order.
  const identifierNames = new Set(schema.fields.filter((f) => f.passwordIdentifier).map((f) => f.name));
  const password = input(
    'password',
    { name: 'password', type: 'password', required: true, autocomplete: 'new-password' },
    messages.labelPassword(),
  );
  return [
    csrfNode(csrf),
    ...traits.filter((n) => identifierNames.has(n.attributes.name)),
    password,
    ...traits.filter((n) => !identifierNames.has(n.attributes.name)),
    submitNode(messages.labelSignUp()),
  ];
}

/** Settings: the profile method (every trait, filled with the identity's, and its Save), then the password method. */
function settingsNodes(schema: IdentitySchema, traits: unknown, csrf: string): UiNode[] {
  return [
    csrfNode(csrf),
    ...traitNodes(schema, traits, 'profile'),
    input('profile', { name: 'method', type: 'submit', value: 'profile' }, messages.labelSave()),
    input(
      'password',
      { name: 'password', type: 'password', required: true, autocomplete: 'new-password' },
      messages.labelPassword(),
    ),
    input('password', { name: 'method', type: 'submit', value: 'password' }, messages.labelSave()),
  ];
}

/**
 * Recovery and verification by code (Kratos's strategy/code): the e-mail and Continue; once a code was sent, the code
 * field, the method, Continue and "Resend code" (the address as its value); verification once done, an anchor on.
 */
function codeFlowNodes(flow: FlowRecord, values: Record<string, unknown>, csrf: string, continueUrl: string | undefined): UiNode[] {
  const csrfInput = csrfNode(csrf);
  if (flow.type === 'verification' && flow.state === 'passed_challenge') {
    const anchor = {
      type: 'a',
      group: 'code',
      attributes: { id: 'continue', href: continueUrl ?? '', title: messages.labelContinue(), node_type: 'a' },
      messages: [],
      meta: { label: messages.labelContinue() },
    } as unknown as UiNode;
    return [csrfInput, anchor];
  }
  const email = typeof values.email === 'string' ? values.email : undefined;
  if (flow.state === 'choose_method') {
    return [
      csrfInput,
      input('code', { name: 'email', type: 'email', value: email, required: true, autocomplete: 'email' }, messages.labelEmail()),
      input('code', { name: 'method', type: 'submit', value: 'code' }, messages.labelContinue()),
    ];
  }
  const codeLabel = flow.type === 'recovery' ? messages.labelRecoveryCode() : messages.labelVerificationCode();
  return [
    csrfInput,
    input('code', { name: 'code', type: 'text', value: typeof values.code === 'string' ? values.code : undefined, required: true, pattern: '[0-9]+', maxlength: 6, autocomplete: 'one-time-code' }, codeLabel),
    input('code', { name: 'method', type: 'hidden', value: 'code' }),
    input('code', { name: 'method', type: 'submit', value: 'code' }, messages.labelContinue()),
    input('code', { name: 'email', type: 'submit', value: flow.code?.address ?? email ?? '' }, messages.labelResendCode()),
  ];
}

export function renderFlow(
  flow: FlowRecord,
  schema: IdentitySchema,
  publicBaseUrl: string,
  options: RenderOptions = {},
): FlowView {
  const values = options.values ?? {};
  const csrf = options.csrfToken ?? '';
  const codeFlow = flow.type === 'recovery' || flow.type === 'verification';
  const nodes = codeFlow
    ? codeFlowNodes(flow, values, csrf, options.continueUrl)
    : flow.type === 'login'
      ? loginNodes(schema, values, csrf, flow.refreshIdentifier)
      : flow.type === 'registration'
        ? registrationNodes(schema, values, csrf)
        : settingsNodes(schema, (values.traits ?? (options.identity as { traits?: unknown } | undefined)?.traits), csrf);
  for (const node of nodes) {
    const extra = options.nodeMessages?.[node.attributes.name];
    if (extra && node.type === 'input' && node.attributes.type !== 'submit' && node.attributes.type !== 'hidden') node.messages.push(...extra);
  }
  // Verification once done: Kratos turns the form into a GET to where "Continue" leads.
  const done = flow.type === 'verification' && flow.state === 'passed_challenge';
  const ui: FlowView['ui'] = {
    action: done ? (options.continueUrl ?? '') : `${publicBaseUrl}/self-service/${flow.type}?flow=${flow.id}`,
    method: done ? 'GET' : 'POST',
    nodes,
  };
  const flowMessages = [...(flow.messages ?? []), ...(options.messages ?? [])];
  if (flowMessages.length > 0) ui.messages = flowMessages;

  const view: Record<string, unknown> = {
    id: flow.id,
    organization_id: null,
    type: flow.mode,
    expires_at: flow.expiresAt.toISOString(),
    issued_at: flow.issuedAt.toISOString(),
    request_url: flow.requestUrl,
    ...(flow.returnTo ? { return_to: flow.returnTo } : {}),
    ...(flow.type === 'registration' && flow.schemaId ? { identity_schema: flow.schemaId } : {}),
    ui,
  };
  if (flow.type === 'login') {
    view.created_at = flow.issuedAt.toISOString();
    view.updated_at = flow.issuedAt.toISOString();
    view.refresh = flow.refresh ?? false;
    view.requested_aal = 'aal1';
  }
  if (flow.type === 'settings') view.identity = options.identity;
  if (codeFlow && flow.active) view.active = flow.active;
  if (flow.continueWith?.length) view.continue_with = flow.continueWith;
  view.state = flow.state;
  return view as FlowView;
}
