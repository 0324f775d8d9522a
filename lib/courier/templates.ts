/**
 * Kratos's built-in e-mail templates (courier/template/courier/builtin/templates/<type>/<valid|invalid>/), with
 * their exact subjects and bodies. The subject is trimmed, as Kratos trims it; the bodies keep the templates'
 * final newline. The HTML body escapes every value, as Go's html/template does.
 */
import type { TemplateData, TemplateType } from './model.js';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** What Go's html/template escapes in text and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'+\0]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;', '+': '&#43;', '\0': '\uFFFD' })[c]!);
}

type Template = (data: TemplateData, html: boolean) => { subject: string; body: string };

const value = (v: string | number | undefined, html: boolean) => {
  const text = v === undefined ? '' : String(v);
  return html ? escapeHtml(text) : text;
};

const TEMPLATES: Record<TemplateType, Template> = {
  recovery_code_valid: (data, html) => ({
    subject: `Use code ${data.recovery_code ?? ''} to recover access to your account`,
    body:
      'Recover access to your account by entering the following code:\n\n' +
      `${value(data.recovery_code, html)}\n\n` +
      `If this was not you, do nothing. This code expires in ${value(data.expires_in_minutes, html)} minutes.\n`,
  }),
  recovery_code_invalid: () => ({
    subject: 'Account access attempted',
    body:
      'Hi,\n\n' +
      'you (or someone else) entered this email address when trying to recover access to an account.\n\n' +
      'However, this email address is not on our database of registered users and therefore the attempt has failed.\n\n' +
      'If this was you, check if you signed up using a different address.\n\n' +
      'If this was not you, please ignore this email.\n',
  }),
  verification_code_valid: (data, html) => {
    const url = value(data.verification_url, html);
    return {
      subject: `Use code ${data.verification_code ?? ''} to verify your account`,
      body:
        'Verify your account with the following code:\n\n' +
        `${value(data.verification_code, html)}\n\n` +
        'or clicking the following link:\n\n' +
        `${html ? `<a href="${url}">${url}</a>` : url}\n\n` +
        `If this was not you, do nothing. This code / link expires in ${value(data.expires_in_minutes, html)} minutes.\n`,
    };
  },
  verification_code_invalid: () => ({
    subject: 'Someone tried to verify this email address',
    body:
      'Hi,\n\n' +
      'someone asked to verify this email address, but we were unable to find an account for this address.\n\n' +
      'If this was you, check if you signed up using a different address.\n\n' +
      'If this was not you, please ignore this email.\n',
  }),
  login_code_valid: (data, html) => ({
    subject: `Use code ${data.login_code ?? ''} to log in`,
    body: 'Login to your account with the following code:\n\n' + `${value(data.login_code, html)}\n\n` + `It expires in ${value(data.expires_in_minutes, html)} minutes.\n`,
  }),
  registration_code_valid: (data, html) => ({
    subject: `Use code ${data.registration_code ?? ''} to complete your account registration`,
    body:
      'Complete your account registration with the following code:\n\n' +
      `${value(data.registration_code, html)}\n\n` +
      `This code expires in ${value(data.expires_in_minutes, html)} minutes.\n`,
  }),
};

export class UnknownTemplateError extends Error {
  override name = 'UnknownTemplateError';
}

/** The e-mail of one template type and its model. */
export function renderEmail(type: TemplateType, data: TemplateData): RenderedEmail {
  const template = TEMPLATES[type];
  if (!template) throw new UnknownTemplateError(`no e-mail template "${String(type)}"`);
  const plain = template(data, false);
  return { subject: plain.subject.trim(), text: plain.body, html: template(data, true).body };
}
