/**
 * The Lambda entry point of the example's webhook receiver (`POST /webhooks/payments`).
 *
 * Environment: `IDEMPOTENCY_TABLE_NAME`, `ORDERS_TABLE_NAME`, and the provider's signing secret
 * (`whsec_…`): deployed, `WEBHOOK_SECRET_ARN` names a Secrets Manager secret, read once per cold
 * start; locally, `WEBHOOK_SECRET` holds it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { WebhookSecret } from '../webhooks/secrets.js';
import { createPaymentWebhooksHandler } from './payment-webhooks-api.js';

function secretFromEnvironment(): WebhookSecret {
  const arn = process.env.WEBHOOK_SECRET_ARN;
  if (arn) {
    return async () => {
      const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arn }));
      if (!out.SecretString) throw new Error('the webhook signing secret has no string value');
      return out.SecretString;
    };
  }
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) throw new Error('set WEBHOOK_SECRET_ARN (deployed) or WEBHOOK_SECRET (locally): the webhook receiver needs the signing secret');
  return secret;
}

const tableName = process.env.ORDERS_TABLE_NAME;
if (!tableName) throw new Error('ORDERS_TABLE_NAME is not set: the webhook example counts deliveries in the orders table');

/** The Lambda entry point (`lambda/example/payment-webhooks.handler`). */
export const handler = createPaymentWebhooksHandler({ client: new DynamoDBClient({}), tableName }, secretFromEnvironment());
