/**
 * A fake mailer that answers the essay's question, "have I sent message-id-X to this address?":
 * a message is delivered once per message id; a repeat is accepted and not delivered again.
 * Records live in the orders table under `email#<message id>`.
 */
import { recordOnce } from './downstream-record.js';
import type { OrdersTable } from './orders-table.js';

/** One email. */
export interface EmailMessage {
  /** Deduplicates delivery: one message per id. */
  readonly messageId: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** What the mailer accepted. */
export interface SentEmail {
  readonly messageId: string;
  /** When it was first sent (ISO 8601). */
  readonly sentAt: string;
}

/** Sends a message once per message id; a repeat returns the first send. */
export async function sendEmail(table: OrdersTable, message: EmailMessage): Promise<SentEmail> {
  const stored = await recordOnce(table, `email#${message.messageId}`, {
    to: { S: message.to },
    subject: { S: message.subject },
    text: { S: message.text },
    sentAt: { S: new Date().toISOString() },
  });
  return { messageId: message.messageId, sentAt: stored.sentAt?.S ?? '' };
}
