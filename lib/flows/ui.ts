/**
 * Renders flows as Kratos serialises them: the anti-CSRF node, then every serving strategy's nodes in registry order
 * (a `default` group node two methods share, the identifier say, appears once, as the last of them renders it), submitted values echoed back (never
 * a password), messages on their nodes or on the flow. The node builders the strategies use are here too.
 */
import { randomUUID } from 'node:crypto';
import type { Identity } from '../identity/model.js';
import type { IdentitySchema } from '../identity/schema.js';
import { readPath } from '../identity/schema.js';
import { messages, type UiText } from '../text/messages.js';
import type { FlowRecord, FlowView, NodeGroup, UiNode, UiNodeAttributes } from './model.js';
import type { NodeContext } from './strategy.js';

export interface RenderOptions {
  /** Submitted values to echo into node values (passwords are never echoed). */
  values?: Record<string, unknown>;
  nodeMessages?: Record<string, UiText[]>;
  messages?: UiText[];
  /** Settings: the identity shown by the flow, in its public form. */
  identity?: Record<string, unknown>;
  /** Settings: the identity with its credentials, for the methods whose nodes depend on them (providers linked). */
  account?: Identity;
  /** The `csrf_token` node's value: a browser flow's masked token; empty for an API flow. */
  csrfToken?: string;
  /** Verification once done: where its "Continue" goes (return_to, else the after-verification default). */
  continueUrl?: string;
}

/** Something that renders nodes for a flow: a strategy's part for the flow's type. */
export interface NodeSource {
  nodes(ctx: NodeContext): UiNode[];
}

export function input(group: NodeGroup, attributes: Omit<UiNodeAttributes, 'disabled' | 'node_type'> & { disabled?: boolean }, label?: UiText): UiNode {
  const attrs: UiNodeAttributes = { name: attributes.name, type: attributes.type } as UiNodeAttributes;
  if (attributes.value !== undefined) attrs.value = attributes.value;
  if (attributes.required) attrs.required = true;
  if (attributes.autocomplete) attrs.autocomplete = attributes.autocomplete;
  if (attributes.pattern) attrs.pattern = attributes.pattern;
  if (attributes.options) attrs.options = attributes.options;
  if (attributes.maxlength) attrs.maxlength = attributes.maxlength;
  attrs.disabled = attributes.disabled === true;
  for (const name of ['onclick', 'onclickTrigger', 'onload', 'onloadTrigger'] as const) if (attributes[name]) attrs[name] = attributes[name];
  attrs.node_type = 'input';
  return { type: 'input', group, attributes: attrs, messages: [], meta: label ? { label } : {} };
}

/** An anchor node (`type: "a"`), e.g. verification's "Continue" once done. */
export function anchor(group: NodeGroup, id: string, href: string, title: UiText): UiNode {
  return { type: 'a', group, attributes: { id, href, title, node_type: 'a' }, messages: [], meta: { label: title } } as unknown as UiNode;
}

/**
 * A script node (Kratos's NewScriptField): loaded `async`, without a referrer, checked against `integrity`, with a new
 * nonce on every render.
 */
export function scriptNode(group: NodeGroup, id: string, src: string, integrity: string): UiNode {
  const attributes = { src, async: true, referrerpolicy: 'no-referrer', crossorigin: 'anonymous', integrity, type: 'text/javascript', id, nonce: randomUUID(), node_type: 'script' };
  return { type: 'script', group, attributes, messages: [], meta: {} } as unknown as UiNode;
}

/** An image node, e.g. the TOTP QR code. */
export function image(group: NodeGroup, id: string, src: string, size: number, label: UiText): UiNode {
  return { type: 'img', group, attributes: { id, src, width: size, height: size, node_type: 'img' }, messages: [], meta: { label } } as unknown as UiNode;
}

/** A text node, e.g. the TOTP secret or the lookup codes. */
export function textNode(group: NodeGroup, id: string, text: UiText, label?: UiText): UiNode {
  return { type: 'text', group, attributes: { id, text, node_type: 'text' }, messages: [], meta: label ? { label } : {} } as unknown as UiNode;
}

/** A method's submit button: `method=<id>`, in its group. */
export const submitNode = (group: NodeGroup, method: string, label: UiText) => input(group, { name: 'method', type: 'submit', value: method }, label);

// API flows carry an empty CSRF token: native clients are protected by refusing cookies and Origin instead.
const csrfNode = (token: string) => input('default', { name: 'csrf_token', type: 'hidden', value: token, required: true });

/** A node per trait of the schema, in schema order (Kratos's NewInputFieldFromSchema). */
export function traitNodes(schema: IdentitySchema, traits: unknown, group: NodeGroup): UiNode[] {
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

/**
 * Nodes of several sources in order, a `default` group node appearing once (Kratos's Nodes.Upsert by name; nor when a
 * method before showed a field of that name in its own group, as the password method shows the traits), and the
 * button that goes back a screen (`screen`) after every method's submit, as Kratos sorts it: a form's first button is
 * the one Enter presses.
 */
function merged(parts: UiNode[][]): UiNode[] {
  const fields = new Set<string>();
  const sharedAt = new Map<string, number>();
  const out: UiNode[] = [];
  for (const node of parts.flat()) {
    const field = node.type === 'input' && node.attributes.type !== 'submit' && node.attributes.type !== 'button';
    const shared = node.group === 'default' && node.type === 'input';
    if (shared && fields.has(node.attributes.name)) {
      // A later method's shared node takes the place of an earlier shared one (Kratos's Upsert): the passkey method's
      // identifier, which asks the browser for passkeys too (`username webauthn`), stands where the password's was.
      const at = sharedAt.get(node.attributes.name);
      if (at !== undefined) out[at] = node;
      continue;
    }
    if (field) fields.add(node.attributes.name);
    if (shared) sharedAt.set(node.attributes.name, out.length);
    out.push(node);
  }
  const back = (node: UiNode) => node.type === 'input' && node.attributes.name === 'screen';
  return [...out.filter((node) => !back(node)), ...out.filter(back)];
}

export function renderFlow(flow: FlowRecord, schema: IdentitySchema, publicBaseUrl: string, sources: readonly NodeSource[], options: RenderOptions = {}): FlowView {
  const values = options.values ?? {};
  const ctx: NodeContext = {
    flow,
    schema,
    values,
    traits: values.traits ?? (options.identity as { traits?: unknown } | undefined)?.traits,
    continueUrl: options.continueUrl,
    ...(options.account ? { account: options.account } : {}),
  };
  const nodes = merged([[csrfNode(options.csrfToken ?? '')], ...sources.map((source) => source.nodes(ctx))]);
  for (const node of nodes) {
    const extra = options.nodeMessages?.[node.attributes.name];
    if (extra && node.type === 'input' && node.attributes.type !== 'submit' && node.attributes.type !== 'hidden') node.messages.push(...extra);
  }
  // A message for a field the form does not show (a one-step password submit to the traits screen of a two-screen
  // registration) brings a field of its own, as Kratos's container.AddMessage does, rather than being lost.
  const names = new Set(nodes.filter((node) => node.type === 'input').map((node) => node.attributes.name));
  for (const [name, extra] of Object.entries(options.nodeMessages ?? {})) {
    if (names.has(name) || extra.length === 0) continue;
    const node = input('default', { name, type: 'text' });
    node.messages.push(...extra);
    nodes.push(node);
  }
  // Verification once done: Kratos turns the form into a GET to where "Continue" leads.
  const done = flow.type === 'verification' && flow.state === 'passed_challenge';
  const ui: FlowView['ui'] = {
    action: done ? (options.continueUrl ?? '') : `${publicBaseUrl}/self-service/${flow.type}?flow=${flow.id}`,
    method: done ? 'GET' : 'POST',
    nodes,
  };
  // A failed submit's messages replace those the flow started with (Kratos's UI.ResetMessages before ParseError).
  const flowMessages = options.messages?.length ? options.messages : (flow.messages ?? []);
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
    view.requested_aal = flow.requestedAal ?? 'aal1';
  }
  if (flow.type === 'settings') view.identity = options.identity;
  if (flow.active) view.active = flow.active;
  if (flow.continueWith?.length) view.continue_with = flow.continueWith;
  view.state = flow.state;
  return view as FlowView;
}
