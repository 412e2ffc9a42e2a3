// The smallest equivalent Powertools handler: Middy, its middleware, its DynamoDB persistence layer.
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import middy from '@middy/core';

/** Bundled by the benchmark to measure size and load time. */
export const handler = middy(async (event: { paymentId: string }) => ({ paymentId: event.paymentId })).use(
  makeHandlerIdempotent({
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: 'bench' }),
    config: new IdempotencyConfig({ eventKeyJmesPath: 'paymentId', payloadValidationJmesPath: '@' }),
  }),
);
