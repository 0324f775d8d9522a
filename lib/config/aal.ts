/**
 * Authenticator assurance levels and the second-factor methods' settings, under Kratos's keys:
 * `session.whoami.required_aal` (SESSION_WHOAMI_REQUIRED_AAL), `selfservice.flows.settings.required_aal`
 * (SELFSERVICE_FLOWS_SETTINGS_REQUIRED_AAL), both `aal1` or `highest_available` (Kratos's default), and
 * `selfservice.methods.totp.config.issuer` (SELFSERVICE_METHODS_TOTP_CONFIG_ISSUER; default the public URL's host).
 */
import { readChoice, readOptionalString, type Env } from './env.js';

export const REQUIRED_AAL_CHOICES = ['aal1', 'highest_available'] as const;
export type RequiredAal = (typeof REQUIRED_AAL_CHOICES)[number];

export interface AalConfig {
  whoamiRequiredAal: RequiredAal;
  settingsRequiredAal: RequiredAal;
  /** The issuer a TOTP app shows beside the account. */
  totpIssuer: string;
}

export function loadAalConfig(env: Env, publicBaseUrl: string): AalConfig {
  return {
    whoamiRequiredAal: readChoice(env, 'SESSION_WHOAMI_REQUIRED_AAL', REQUIRED_AAL_CHOICES, 'highest_available'),
    settingsRequiredAal: readChoice(env, 'SELFSERVICE_FLOWS_SETTINGS_REQUIRED_AAL', REQUIRED_AAL_CHOICES, 'highest_available'),
    totpIssuer: readOptionalString(env, 'SELFSERVICE_METHODS_TOTP_CONFIG_ISSUER') ?? new URL(publicBaseUrl).hostname,
  };
}
