/**
 * What tells a recovery code from a verification code, in one place (instead of a test of the flow's type at every
 * turn): its messages, its templates, what its mail carries, and Kratos's two differences in reading a submit.
 */
import type { RecoveryConfig } from '../../config/recovery.js';
import type { TemplateData, TemplateType } from '../../courier/model.js';
import { withQuery } from '../../flows/answer.js';
import { messages, type UiText } from '../../text/messages.js';

export interface CodeKind {
  type: 'recovery' | 'verification';
  /** Mail Kratos's "invalid" template to an address nobody has (else nothing is sent). */
  notifyUnknown: boolean;
  /** The flow's message once a code was sent. */
  sent: () => UiText;
  /** A wrong, spent or expired code. */
  invalid: () => UiText;
  codeLabel: () => UiText;
  /** The template for an address someone has, and for one nobody has. */
  templates: { valid: TemplateType; unknown: TemplateType };
  /** What the valid template shows: the code, and for verification the link that fills it in. */
  templateData(code: string, flowId: string, publicBaseUrl: string): Partial<TemplateData>;
  /** Kratos: verification checks a code first; recovery takes an address (a resend) first. */
  codeFirst: boolean;
  /** Kratos: an empty code is a wrong guess in recovery (it counts); verification asks for the address instead. */
  emptyCodeAsksForAddress: boolean;
}

export function codeKinds(config: RecoveryConfig): Record<CodeKind['type'], CodeKind> {
  return {
    recovery: {
      type: 'recovery',
      notifyUnknown: config.recoveryNotifyUnknownRecipients,
      sent: messages.recoveryCodeSent,
      invalid: messages.recoveryCodeInvalid,
      codeLabel: messages.labelRecoveryCode,
      templates: { valid: 'recovery_code_valid', unknown: 'recovery_code_invalid' },
      templateData: (code) => ({ recovery_code: code }),
      codeFirst: false,
      emptyCodeAsksForAddress: false,
    },
    verification: {
      type: 'verification',
      notifyUnknown: config.verificationNotifyUnknownRecipients,
      sent: messages.verificationCodeSent,
      invalid: messages.verificationCodeInvalid,
      codeLabel: messages.labelVerificationCode,
      templates: { valid: 'verification_code_valid', unknown: 'verification_code_invalid' },
      templateData: (code, flowId, publicBaseUrl) => ({
        verification_code: code,
        verification_url: withQuery(`${publicBaseUrl}/self-service/verification`, { code, flow: flowId }),
      }),
      codeFirst: true,
      emptyCodeAsksForAddress: true,
    },
  };
}
