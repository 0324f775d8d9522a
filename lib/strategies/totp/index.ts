/**
 * The totp method (Kratos's `selfservice/strategy/totp`): an authenticator app as a second factor (aal2). Set up in
 * settings (a secret offered as Kratos's QR code and text, confirmed with a code), unlinked there, and checked at a
 * login asking for aal2. Kratos's key: SHA-1, 6 digits, 30 s, a 20-byte secret, one step of skew either way (otpauth,
 * as Kratos's pquerna/otp). Beyond Kratos: a code is good once (the time step it proved is kept on the credential, and a
 * code of that step or an earlier one is refused), and guesses count against the login throttle, as passwords do
 * (a TOTP has only 10^6 values).
 */
import * as OTPAuth from 'otpauth';
import { SessionRefreshRequiredError } from '../../errors/index.js';
import { stringField } from '../../flows/common.js';
import type { Strategy } from '../../flows/strategy.js';
import type { LoginThrottle } from '../../flows/throttle.js';
import { image, input, submitNode, textNode } from '../../flows/ui.js';
import { withFactor, type FactorCredential, type Identity } from '../../identity/model.js';
import type { IdentitySchema } from '../../identity/schema.js';
import { messages } from '../../text/messages.js';
import { withSpan } from '../../tracing/span.js';

const GROUP = 'totp';
const PERIOD_S = 30;
const QR_SIZE = 256;

export interface TotpStrategyDeps {
  /** `selfservice.methods.totp.config.issuer`: what the app shows the account under. */
  issuer: string;
  throttle?: LoginThrottle;
}

/** What a settings flow offers for setup: the key's URL (with its secret) and its QR code. */
interface Offered {
  url: string;
  qr: string;
}

/** The TOTP credential's config as Kratos stores it (`totp_url`), with the last time step a code proved. */
interface TotpConfig {
  totp_url: string;
  used_step?: number;
}

/** Kratos's key URL: `otpauth://totp/<Issuer>:<Account>?algorithm=SHA1&digits=6&issuer=<Issuer>&period=30&secret=<B32>`. */
export function totpUrl(issuer: string, account: string, secret: string): string {
  const query = new URLSearchParams({ algorithm: 'SHA1', digits: '6', issuer, period: String(PERIOD_S), secret });
  return `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(account)}?${query.toString()}`;
}

/** The account name an app shows: the trait marked `credentials.totp.account_name` (schema extension), else the identity's id. */
const accountNameOf = (identity: Identity, schema: IdentitySchema): string => schema.markedValues(identity.traits, 'totpAccountName')[0] || identity.id;

/**
 * The time step `code` proves for the key of `url` at `now` (one step of skew either way), or undefined. Input trimmed,
 * exactly 6 digits.
 */
export function provenStep(url: string, code: string, now: Date): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  let totp: OTPAuth.TOTP;
  try {
    const parsed = OTPAuth.URI.parse(url);
    if (!(parsed instanceof OTPAuth.TOTP)) return undefined;
    totp = parsed;
  } catch {
    return undefined;
  }
  const delta = totp.validate({ token: code, timestamp: now.getTime(), window: 1 });
  return delta === null ? undefined : Math.floor(now.getTime() / 1000 / PERIOD_S) + delta;
}

/** `provenStep` in a span of its own (`totp.verify`: whether it matched, never the code or the key). */
const verified = (url: string, code: string, now: Date, flow: 'login' | 'settings') =>
  withSpan('totp.verify', { 'totp.flow': flow, 'totp.window_steps': 1 }, async (span) => {
    const step = provenStep(url, code, now);
    span.setAttributes({ 'totp.valid': step !== undefined });
    return step;
  });

const configOf = (identity: Identity): TotpConfig | undefined => {
  const config = identity.factors?.totp?.config as Partial<TotpConfig> | undefined;
  return typeof config?.totp_url === 'string' && config.totp_url ? (config as TotpConfig) : undefined;
};

export function totpStrategy(deps: TotpStrategyDeps): Strategy {
  return {
    id: 'totp',
    group: GROUP,
    // Unlinking posts the button alone (Ory's UIs send no `method` with it).
    takesUnnamedSubmit: (body) => body.totp_unlink === true || body.totp_unlink === 'true',

    login: {
      aal: 'aal2',

      // Shown to an identity with an authenticator set up.
      secondFactor: (identity) => (configOf(identity) ? {} : undefined),

      nodes: () => [
        input(GROUP, { name: 'totp_code', type: 'text', required: true, autocomplete: 'one-time-code' }, messages.labelAuthenticationCode()),
        submitNode(GROUP, 'totp', messages.labelUseAuthenticator()),
      ],

      async authenticate({ body, request, now, fail, account }) {
        const config = account ? configOf(account) : undefined;
        if (!account || !config) throw fail([messages.noTotpDevice()]);
        const code = stringField(body, 'totp_code')?.trim();
        if (!code) throw fail([], { totp_code: [messages.required('totp_code')] });
        // Counted against the same limits as a password, per identity and client.
        const trusted = (request.browser.knownIdentities ?? []).includes(account.id);
        const reserved = await deps.throttle?.reserve(`totp#${account.id}`, request, trusted, now);
        const step = await verified(config.totp_url, code, now, 'login');
        // A code of a step already used (or older) is refused: each code is good once.
        if (step === undefined || (config.used_step !== undefined && step <= config.used_step)) {
          await deps.throttle?.failed(request, now);
          throw fail([messages.totpWrong()]);
        }
        const credential = account.factors!.totp!;
        return {
          identity: account,
          update: withFactor(account, 'totp', { ...credential, config: { ...credential.config, used_step: step } }),
          writes: reserved ? [deps.throttle!.succeeded(reserved, now)] : [],
        };
      },
    },

    settings: {
      readsCredentials: true,

      // A secret offered to an identity without an authenticator (kept on the flow, so the code confirms that secret).
      async prepare(identity, schema) {
        if (configOf(identity)) return undefined;
        const secret = new OTPAuth.Secret({ size: 20 }).base32.replace(/=+$/, '');
        const url = totpUrl(deps.issuer, accountNameOf(identity, schema), secret);
        // The QR code's drawing (qrcode, pngjs) loaded only here (in a Lambda bundle, a file of its own).
        const { qrDataUrl } = await import('./qr.js');
        const offered: Offered = { url, qr: await qrDataUrl(url, QR_SIZE) };
        return offered;
      },

      nodes({ flow, account }) {
        if (account && configOf(account)) return [input(GROUP, { name: 'totp_unlink', type: 'submit', value: 'true' }, messages.totpUnlink())];
        const offered = flow.internal?.totp as Offered | undefined;
        if (!offered) return [];
        const secret = new URL(offered.url).searchParams.get('secret') ?? '';
        return [
          image(GROUP, 'totp_qr', offered.qr, QR_SIZE, messages.totpQrCode()),
          textNode(GROUP, 'totp_secret_key', messages.totpSecret(secret), messages.totpSecretLabel()),
          input(GROUP, { name: 'totp_code', type: 'text', required: true }, messages.labelVerifyCode()),
          submitNode(GROUP, 'totp', messages.labelSave()),
        ];
      },

      async update({ body, flow, now, fail, identity, privileged }) {
        if (!privileged) throw new SessionRefreshRequiredError();
        if (body.totp_unlink === true || body.totp_unlink === 'true') {
          if (!configOf(identity)) throw fail([messages.noTotpDevice()]);
          return { identity: withFactor(identity, 'totp', undefined) };
        }
        const offered = flow.internal?.totp as Offered | undefined;
        if (configOf(identity) || !offered) throw fail([messages.noSettingsStrategy()]);
        const code = stringField(body, 'totp_code')?.trim();
        if (!code) throw fail([], { totp_code: [messages.required('totp_code')] });
        const step = await verified(offered.url, code, now, 'settings');
        if (step === undefined) throw fail([], { totp_code: [messages.totpWrong()] });
        const credential: FactorCredential = { identifiers: [identity.id], config: { totp_url: offered.url, used_step: step }, version: 0, createdAt: now, updatedAt: now };
        return { identity: withFactor(identity, 'totp', credential), factor: { method: 'totp', aal: 'aal2' } };
      },
    },
  };
}
