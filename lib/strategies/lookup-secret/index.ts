/**
 * The lookup_secret method (Kratos's `selfservice/strategy/lookup`): backup recovery codes as a second factor (aal2).
 * In settings: reveal them, generate new ones (shown until confirmed), confirm, disable; at a login asking for aal2, one
 * code, each good once. Kratos's codes: 12 of 8 characters `[a-z0-9]`. Kratos stores them in plain text; here each is
 * kept as a SHA-256 of the code (they are random, 41 bits each, so a salt-free fast hash only stands in for the code in
 * storage; revealing them again is therefore not possible: "reveal" shows which codes are used, and new ones are made
 * to see them again). A code's guesses count against the login throttle, as a password's do.
 */
import { createHash, randomInt } from 'node:crypto';
import { SessionRefreshRequiredError } from '../../errors/index.js';
import { stringField } from '../../flows/common.js';
import type { Strategy } from '../../flows/strategy.js';
import type { LoginThrottle } from '../../flows/throttle.js';
import { input, textNode } from '../../flows/ui.js';
import { withFactor, type FactorCredential, type Identity } from '../../identity/model.js';
import { messages, type UiText } from '../../text/messages.js';
import { withSpan } from '../../tracing/span.js';
import { sameString } from '../../util/constant-time.js';

const GROUP = 'lookup_secret';
const CODES = 12;
const CODE_LENGTH = 8;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** One stored code: its hash, and when it was used (Kratos's `used_at`, null while unused). */
interface StoredCode {
  code_sha256: string;
  used_at: string | null;
}

/** What settings keeps on the flow between two steps: codes generated and shown, not confirmed yet; or "reveal". */
interface Kept {
  generated?: string[];
  reveal?: boolean;
}

export interface LookupSecretStrategyDeps {
  throttle?: LoginThrottle;
}

const hashOf = (code: string) => createHash('sha256').update(code).digest('hex');

/** 12 fresh codes of 8 characters `[a-z0-9]`, each character uniformly drawn. */
export function newLookupCodes(): string[] {
  return Array.from({ length: CODES }, () => Array.from({ length: CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join(''));
}

const codesOf = (identity: Identity): StoredCode[] | undefined => (identity.factors?.lookup_secret?.config.recovery_codes as StoredCode[] | undefined) ?? undefined;

/** Kratos's `lookup_secret_codes` text node: the codes (or "used"), joined, each also in the context. */
function codesNode(shown: { code?: string; usedAt?: Date }[]): ReturnType<typeof textNode> {
  const secrets: UiText[] = shown.map((entry) => (entry.usedAt ? messages.lookupSecretUsed(entry.usedAt) : messages.lookupSecret(entry.code ?? '')));
  const texts = shown.map((entry) => (entry.usedAt ? 'used' : (entry.code ?? '')));
  return textNode(GROUP, 'lookup_secret_codes', messages.lookupSecretList(texts, secrets), messages.lookupSecretsLabel());
}

const button = (name: string, label: UiText) => input(GROUP, { name, type: 'submit', value: 'true' }, label);
const truthy = (value: unknown) => value === true || value === 'true';

export function lookupSecretStrategy(deps: LookupSecretStrategyDeps): Strategy {
  return {
    id: 'lookup_secret',
    group: GROUP,
    // Its settings buttons decide, with or without a `method` (Kratos ignores it here).
    takesUnnamedSubmit: (body) => ['lookup_secret_reveal', 'lookup_secret_regenerate', 'lookup_secret_confirm', 'lookup_secret_disable'].some((name) => truthy(body[name])),

    login: {
      aal: 'aal2',

      secondFactor: (identity) => (codesOf(identity) ? {} : undefined),

      nodes: () => [
        input(GROUP, { name: 'lookup_secret', type: 'text', required: true }, messages.labelBackupCode()),
        input(GROUP, { name: 'method', type: 'submit', value: 'lookup_secret' }, messages.labelUseBackupCode()),
      ],

      async authenticate({ body, request, now, fail, account }) {
        const codes = account ? codesOf(account) : undefined;
        if (!account || !codes) throw fail([messages.noLookup()]);
        const code = stringField(body, 'lookup_secret');
        if (!code) throw fail([], { lookup_secret: [messages.required('lookup_secret')] });
        const trusted = (request.browser.knownIdentities ?? []).includes(account.id);
        const reserved = await deps.throttle?.reserve(`lookup#${account.id}`, request, trusted, now);
        const hash = hashOf(code);
        // Every stored code is compared (in constant time), whichever matches; the span says only whether one did.
        const found = await withSpan('lookup_secret.verify', { 'lookup_secret.codes': codes.length }, async (span) => {
          let index = -1;
          codes.forEach((stored, i) => {
            if (sameString(stored.code_sha256, hash)) index = i;
          });
          span.setAttributes({ 'lookup_secret.valid': index >= 0 && !codes[index].used_at });
          return index;
        });
        if (found < 0) {
          await deps.throttle?.failed(request, now);
          throw fail([messages.lookupInvalid()]);
        }
        if (codes[found].used_at) throw fail([messages.lookupUsed()]);
        const credential = account.factors!.lookup_secret!;
        const used = codes.map((stored, index) => (index === found ? { ...stored, used_at: now.toISOString() } : stored));
        // Spent in the login's own transaction, at the identity's next revision: of two logins with one code, one wins.
        return {
          identity: account,
          update: withFactor(account, 'lookup_secret', { ...credential, config: { ...credential.config, recovery_codes: used }, updatedAt: now }),
          writes: reserved ? [deps.throttle!.succeeded(reserved, now)] : [],
        };
      },
    },

    settings: {
      readsCredentials: true,

      nodes({ flow, account }) {
        const kept = (flow.internal?.lookup_secret ?? {}) as Kept;
        const codes = account ? codesOf(account) : undefined;
        if (kept.generated) {
          return [codesNode(kept.generated.map((code) => ({ code }))), button('lookup_secret_confirm', messages.lookupConfirm())];
        }
        if (!codes) return [button('lookup_secret_regenerate', messages.lookupRegenerate())];
        if (kept.reveal) {
          return [
            codesNode(codes.map((stored) => (stored.used_at ? { usedAt: new Date(stored.used_at) } : { code: '********' }))),
            button('lookup_secret_regenerate', messages.lookupRegenerate()),
            button('lookup_secret_disable', messages.lookupDisable()),
          ];
        }
        return [button('lookup_secret_reveal', messages.lookupReveal()), button('lookup_secret_disable', messages.lookupDisable())];
      },

      // The booleans decide (Kratos ignores `method` here).
      async update({ body, flow, now, fail, identity, privileged }) {
        if (!privileged) throw new SessionRefreshRequiredError();
        const kept = (flow.internal?.lookup_secret ?? {}) as Kept;
        if (truthy(body.lookup_secret_confirm)) {
          if (!kept.generated) throw fail([messages.noLookup()]);
          const credential: FactorCredential = {
            identifiers: [identity.id],
            config: { recovery_codes: kept.generated.map((code): StoredCode => ({ code_sha256: hashOf(code), used_at: null })) },
            version: 0,
            createdAt: identity.factors?.lookup_secret?.createdAt ?? now,
            updatedAt: now,
          };
          return { identity: withFactor(identity, 'lookup_secret', credential), factor: { method: 'lookup_secret', aal: 'aal2' } };
        }
        if (truthy(body.lookup_secret_regenerate)) return { show: { internal: { generated: newLookupCodes() } satisfies Kept } };
        if (truthy(body.lookup_secret_reveal)) {
          if (!codesOf(identity)) throw fail([messages.noLookup()]);
          return { show: { internal: { reveal: true } satisfies Kept } };
        }
        if (truthy(body.lookup_secret_disable)) {
          if (!codesOf(identity)) throw fail([messages.noLookup()]);
          return { identity: withFactor(identity, 'lookup_secret', undefined) };
        }
        throw fail([messages.noSettingsStrategy()]);
      },
    },
  };
}
