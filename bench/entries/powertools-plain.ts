// The smallest Powertools handler without Middy: its function wrapper and DynamoDB persistence layer.
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';

/** Bundled by the benchmark to measure size without the Middy runtime both Middy handlers carry. */
export const handler = makeIdempotent(async (event: { paymentId: string }) => ({ paymentId: event.paymentId }), {
  persistenceStore: new DynamoDBPersistenceLayer({ tableName: 'bench' }),
  config: new IdempotencyConfig({ eventKeyJmesPath: 'paymentId', payloadValidationJmesPath: '@' }),
});
