import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { DynamoDBStore, idempotency, RecordCache, type OutcomeListener } from '../lambda/index.js';

/** The event every scenario sends: a payment with a customer and a few lines, about 600 bytes of JSON. */
export interface PaymentEvent {
  readonly paymentId: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly customer: { readonly id: string; readonly email: string; readonly country: string };
  readonly lines: readonly { readonly sku: string; readonly quantity: number; readonly priceCents: number }[];
  readonly metadata: Record<string, string>;
  /** When set, the handler throws (the "handler that throws" scenario). */
  readonly fail?: boolean;
}

/** What the handler returns, and so what is stored and replayed. */
export interface PaymentResult {
  readonly paymentId: string;
  readonly status: 'captured';
  readonly amountCents: number;
  readonly receipt: string;
}

/** A Lambda handler as the benchmark calls it. */
export type BenchHandler = (event: PaymentEvent, context: Context) => Promise<PaymentResult>;

/** The two libraries compared, in the order tables print them. */
export const LIBRARIES = ['retry-safe', 'powertools'] as const;
/** One of {@link LIBRARIES}. */
export type Library = (typeof LIBRARIES)[number];

/** What a contender needs: where its records go, and what its handler does. */
export interface ContenderOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The business logic; by default returns a receipt at once (or throws when `event.fail`). */
  readonly work?: (event: PaymentEvent) => Promise<PaymentResult>;
  /** Turns on the library's in-memory cache of completed records. */
  readonly cache?: boolean;
  /** retry-safe only: an `onOutcome` listener (the metrics overhead measurement). */
  readonly onOutcome?: OutcomeListener;
}

/** The operation name both libraries put in front of every key. */
export const OPERATION = 'bench-payments';
const CACHE_ENTRIES = 1000;
const TTL_SECONDS = 86_400;

/** A payment event; `variant` changes the amount, for a reused key with another payload. */
export function paymentEvent(paymentId: string, variant = 0, fail = false): PaymentEvent {
  return {
    paymentId,
    amountCents: 12_345 + variant,
    currency: 'EUR',
    customer: { id: 'cus_8f14e45fceea167a5a36', email: 'ada@example.com', country: 'IE' },
    lines: [
      { sku: 'sku-espresso-beans-1kg', quantity: 2, priceCents: 2_450 },
      { sku: 'sku-grinder-burr-pro', quantity: 1, priceCents: 6_995 },
      { sku: 'sku-filter-papers-100', quantity: 3, priceCents: 150 },
    ],
    metadata: { channel: 'web', campaign: 'autumn', locale: 'en-IE', cartId: `cart-${paymentId}` },
    ...(fail ? { fail: true } : {}),
  };
}

/** The default business logic: instant, as only the library's cost is of interest. */
export async function capture(event: PaymentEvent): Promise<PaymentResult> {
  if (event.fail) throw new Error('card declined');
  return { paymentId: event.paymentId, status: 'captured', amountCents: event.amountCents, receipt: `rcpt-${event.paymentId}` };
}

/** retry-safe's Middy middleware: key `paymentId`, fingerprint the whole event (the defaults). */
export function retrySafeHandler(options: ContenderOptions): BenchHandler {
  const store = new DynamoDBStore({ tableName: options.tableName, client: options.client });
  return middy(options.work ?? capture).use(
    idempotency<PaymentEvent, PaymentResult>({
      store,
      name: OPERATION,
      key: (event) => event.paymentId,
      ttlSeconds: TTL_SECONDS,
      ...(options.cache ? { cache: new RecordCache({ maxEntries: CACHE_ENTRIES }) } : {}),
      ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}),
    }),
  ) as unknown as BenchHandler;
}

/**
 * Powertools' Middy middleware with its DynamoDB persistence layer, key `paymentId` and payload
 * validation over the whole event (`@`): the same guarantee retry-safe gives by default.
 */
export function powertoolsHandler(options: ContenderOptions): BenchHandler {
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName: options.tableName, awsSdkV3Client: options.client });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'paymentId',
    payloadValidationJmesPath: '@',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: TTL_SECONDS,
    ...(options.cache ? { useLocalCache: true, maxLocalCacheSize: CACHE_ENTRIES } : {}),
  });
  return middy(options.work ?? capture).use(
    makeHandlerIdempotent({ persistenceStore, config, keyPrefix: OPERATION }),
  ) as unknown as BenchHandler;
}

/** The handler of `library`. */
export function contender(library: Library, options: ContenderOptions): BenchHandler {
  return library === 'retry-safe' ? retrySafeHandler(options) : powertoolsHandler(options);
}

/** A Lambda context with the given remaining time, as the runtime passes it. */
export function benchContext(remainingMs = 30_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: OPERATION,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${OPERATION}`,
    memoryLimitInMB: '1024',
    awsRequestId: 'bench-request',
    logGroupName: `/aws/lambda/${OPERATION}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
