import type { SavedUi, SentCode } from '../../flows/model.js';
import type { Writes } from '../../util/writes.js';

/**
 * What the code strategy keeps on a recovery or verification flow: the code outstanding (only its HMAC), how many
 * codes were tried, and the one conditional step that spends a code.
 */
export interface CodeRepository {
  /**
   * A code sent: the flow goes to `sent_email` with the method `code` active and `ui` to show; submissions are kept
   * (a resend buys no new guesses), sends counted, at most `maxSends`. On commit CodesPerFlowExhaustedError past it,
   * FlowAlreadyUsedError when the flow was completed or expired meanwhile.
   */
  sendCode(flowId: string, code: SentCode, ui: SavedUi, now: Date, maxSends: number): Writes;
  /** Counts one code submission; false once `max` were made (the flow takes no more codes, the right one included). */
  countSubmission(flowId: string, max: number): Promise<boolean>;
  /**
   * The flow passes its challenge with this code, once: only while the code is the one outstanding and the flow is
   * unexpired (of two submissions of one code, one wins). On commit FlowAlreadyUsedError otherwise.
   */
  passChallenge(flowId: string, codeHmac: string, now: Date): Writes;
}

