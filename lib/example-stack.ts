import { fileURLToPath } from 'node:url';
import { CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { IdempotencyMonitoring } from './idempotency-monitoring.js';
import { IdempotencyTable } from './idempotency-table.js';
import { IdempotentFunction } from './idempotent-function.js';

/** The example handler: `POST /orders` and `GET /orders/{id}`, wrapped with the HTTP middleware. */
export const ORDERS_HANDLER_ENTRY = fileURLToPath(new URL('../lambda/example/orders.ts', import.meta.url));

/** The example webhook receiver: `POST /webhooks/payments`, wrapped with `webhookIdempotency()`. */
export const PAYMENT_WEBHOOKS_HANDLER_ENTRY = fileURLToPath(new URL('../lambda/example/payment-webhooks.ts', import.meta.url));

/** The actions the example handler performs on its orders table (no scans, queries or deletes). */
export const ORDERS_TABLE_ACTIONS: readonly string[] = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

/** The CloudWatch namespace the example handler writes its outcome metrics to (`METRICS_NAMESPACE`). */
export const EXAMPLE_METRICS_NAMESPACE = 'RetrySafeExample';
/** The example handler's operation name (`name` in `lambda/example/orders-api.ts`), the metrics' `Operation`. */
export const EXAMPLE_OPERATION = 'orders';

/**
 * The deployable example: an HTTP API whose `POST /orders` is made safe to retry with an
 * `Idempotency-Key` header, backed by an `IdempotencyTable` and an orders table, and whose
 * `POST /webhooks/payments` receives Standard Webhooks deliveries, verified with a signing
 * secret kept in Secrets Manager and run once per delivery id.
 *
 * Both tables are destroyed with the stack because an example is deployed to be tried and torn
 * down; a production stack keeps `IdempotencyTable`'s defaults (retained, deletion-protected).
 */
export class ExampleStack extends Stack {
  /** The API's base URL, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/`. */
  readonly apiUrl: string;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const idempotencyTable = new IdempotencyTable(this, 'Idempotency', {
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
    });

    const ordersTable = new dynamodb.Table(this, 'Orders', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const functionLogs = new logs.LogGroup(this, 'OrdersFunctionLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to every log group.
    const functionRole = new iam.Role(this, 'OrdersFunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'retry-safe example: orders function',
    });
    functionLogs.grantWrite(functionRole);

    const ordersFunction = new IdempotentFunction(this, 'OrdersFunction', {
      entry: ORDERS_HANDLER_ENTRY,
      idempotencyTable,
      role: functionRole,
      logGroup: functionLogs,
      environment: { ORDERS_TABLE_NAME: ordersTable.tableName, METRICS_NAMESPACE: EXAMPLE_METRICS_NAMESPACE },
    });
    ordersTable.grant(ordersFunction, ...ORDERS_TABLE_ACTIONS);

    // The provider issues the signing secret; after deploying, replace the generated value with
    // it (`whsec_…`). Generated letters and digits are valid base64, so the receiver starts either way.
    const webhookSecret = new secretsmanager.Secret(this, 'PaymentWebhookSecret', {
      description: 'retry-safe example: the payment provider\'s webhook signing secret (whsec_...)',
      generateSecretString: { excludePunctuation: true, passwordLength: 32 },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(webhookSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A webhook signing secret is issued and rotated by the provider, not by Secrets Manager: ' +
        'rotate it at the provider and store the new value here (the receiver accepts a list during the overlap).',
    });
    const webhookLogs = new logs.LogGroup(this, 'PaymentWebhooksFunctionLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const webhookRole = new iam.Role(this, 'PaymentWebhooksFunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'retry-safe example: payment webhooks function',
    });
    webhookLogs.grantWrite(webhookRole);
    const webhookFunction = new IdempotentFunction(this, 'PaymentWebhooksFunction', {
      entry: PAYMENT_WEBHOOKS_HANDLER_ENTRY,
      idempotencyTable,
      role: webhookRole,
      logGroup: webhookLogs,
      environment: { ORDERS_TABLE_NAME: ordersTable.tableName, WEBHOOK_SECRET_ARN: webhookSecret.secretArn },
    });
    // It only counts deliveries in the orders table.
    ordersTable.grant(webhookFunction, 'dynamodb:UpdateItem');
    webhookSecret.grantRead(webhookFunction);
    // Alarms and a dashboard on the handler's EMF outcomes and the table; no topic, as nobody is on call for an example.
    new IdempotencyMonitoring(this, 'IdempotencyMonitoring', {
      idempotencyTable,
      namespace: EXAMPLE_METRICS_NAMESPACE,
      operations: [EXAMPLE_OPERATION],
    });

    const accessLogs = new logs.LogGroup(this, 'OrdersApiAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const api = new apigwv2.HttpApi(this, 'OrdersApi', {
      description: 'retry-safe example: idempotent orders',
      createDefaultStage: false,
    });
    api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      // A public example should not run up a bill: cap the request rate.
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    const integration = new HttpLambdaIntegration('OrdersIntegration', ordersFunction);
    api.addRoutes({ path: '/orders', methods: [apigwv2.HttpMethod.POST], integration });
    api.addRoutes({ path: '/orders/{id}', methods: [apigwv2.HttpMethod.GET], integration });
    api.addRoutes({
      path: '/webhooks/payments',
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('PaymentWebhooksIntegration', webhookFunction),
    });

    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'The example API is public so it can be tried with curl; a real API adds an authorizer ' +
        'and scopes idempotency keys to the caller, so one client cannot replay another\'s response.',
    });

    this.apiUrl = api.apiEndpoint;
    new CfnOutput(this, 'ApiUrl', { value: api.apiEndpoint, description: 'Base URL of the example API' });
  }
}
