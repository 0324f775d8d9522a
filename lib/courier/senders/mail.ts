/** What a sender is handed, and what every delivery strategy implements (no SDK here). */
export interface OutgoingMail {
  to: string;
  /** `Name <address>` or a bare address. */
  from: { name?: string; address: string };
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

export interface MailSender {
  /** Resolves once the server or service accepted the mail; rejects with its error otherwise. */
  send(mail: OutgoingMail): Promise<void>;
}
