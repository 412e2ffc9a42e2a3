/**
 * A fake payment provider that behaves like Stripe where retries matter: a charge is made once
 * per idempotency key, and a second request with the same key gets the first charge (or the
 * first decline) back. Its records live in the orders table under `charge#<key>` and
 * `refund#<key>`, so it works the same locally, in tests and deployed.
 */
import { randomBytes } from 'node:crypto';
import { recordOnce } from './downstream-record.js';
import type { OrdersTable } from './orders-table.js';

/** A test payment method that is charged (Stripe's name for a working Visa card). */
export const DEFAULT_PAYMENT_METHOD = 'pm_card_visa';
/** A test payment method that is always declined (Stripe's name). */
export const DECLINED_PAYMENT_METHOD = 'pm_card_chargeDeclined';

/** A charge request. */
export interface ChargeRequest {
  /** Deduplicates the charge: the same key never charges twice. */
  readonly idempotencyKey: string;
  /** In minor units. */
  readonly amount: number;
  readonly currency: string;
  readonly paymentMethod: string;
  /** Stored with the charge, as metadata. */
  readonly orderId: string;
}

/** A successful charge. */
export interface Charge {
  readonly id: string;
  readonly amount: number;
  readonly currency: string;
}

/** The card was declined; the decline is the outcome of this idempotency key, as a charge would be. */
export class PaymentDeclinedError extends Error {
  /** The id of the declined charge attempt. */
  readonly chargeId: string;

  constructor(chargeId: string) {
    super(`the card was declined (charge ${chargeId})`);
    this.name = 'PaymentDeclinedError';
    this.chargeId = chargeId;
  }
}

/** The key was reused with other parameters: a bug in the caller, as Stripe reports it. */
export class PaymentRequestMismatchError extends Error {
  constructor(idempotencyKey: string) {
    super(`idempotency key ${idempotencyKey} was already used for a charge with other parameters`);
    this.name = 'PaymentRequestMismatchError';
  }
}

/** Charges the card once per idempotency key; a repeat returns the first outcome. Throws {@link PaymentDeclinedError}. */
export async function chargeCard(table: OrdersTable, request: ChargeRequest): Promise<Charge> {
  const declined = request.paymentMethod === DECLINED_PAYMENT_METHOD;
  const stored = await recordOnce(table, `charge#${request.idempotencyKey}`, {
    chargeId: { S: `ch_${randomBytes(12).toString('hex')}` },
    amount: { N: String(request.amount) },
    currency: { S: request.currency },
    paymentMethod: { S: request.paymentMethod },
    orderId: { S: request.orderId },
    outcome: { S: declined ? 'declined' : 'succeeded' },
    createdAt: { S: new Date().toISOString() },
  });
  if (
    stored.amount?.N !== String(request.amount) ||
    stored.currency?.S !== request.currency ||
    stored.paymentMethod?.S !== request.paymentMethod
  ) {
    throw new PaymentRequestMismatchError(request.idempotencyKey);
  }
  const id = stored.chargeId?.S ?? '';
  if (stored.outcome?.S === 'declined') throw new PaymentDeclinedError(id);
  return { id, amount: request.amount, currency: request.currency };
}

/** A refund request. */
export interface RefundRequest {
  /** Deduplicates the refund: the same key never refunds twice. */
  readonly idempotencyKey: string;
  readonly chargeId: string;
  /** In minor units. */
  readonly amount: number;
}

/** A refund made. */
export interface Refund {
  readonly id: string;
  readonly chargeId: string;
}

/** Refunds a charge once per idempotency key; a repeat returns the first refund. */
export async function refundCharge(table: OrdersTable, request: RefundRequest): Promise<Refund> {
  const stored = await recordOnce(table, `refund#${request.idempotencyKey}`, {
    refundId: { S: `re_${randomBytes(12).toString('hex')}` },
    chargeId: { S: request.chargeId },
    amount: { N: String(request.amount) },
    createdAt: { S: new Date().toISOString() },
  });
  return { id: stored.refundId?.S ?? '', chargeId: stored.chargeId?.S ?? request.chargeId };
}
