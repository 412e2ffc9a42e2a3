import { execFile } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ORDERS_OPERATION } from '../../lambda/example/orders-api.js';
import { EXAMPLE_METRICS_NAMESPACE, EXAMPLE_OPERATION, ExampleStack } from '../../lib/example-stack.js';
import { IdempotencyMonitoring, IdempotencyTable, IdempotentFunction } from '../../lib/index.js';
import { createLocalOrdersTable, createLocalTable } from '../support/local-table.js';
import { broaderThanNeeded, identityStatements, statementsOfRole } from './policy-statements.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INVOKE_BUNDLE = fileURLToPath(new URL('./fixtures/invoke-bundle.mjs', import.meta.url));
const TABLE = 'AWS::DynamoDB::Table';

interface ValidationReport {
  pluginReports: { pluginName: string; violations: { ruleName: string }[] }[];
}

/** Builds the example app exactly as `bin/app.ts` does, into `outdir`. */
function exampleApp(outdir: string): { app: App; stack: ExampleStack } {
  const app = new App({ outdir });
  const stack = new ExampleStack(app, 'RetrySafeExample');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

describe('ExampleStack', () => {
  // One synthesis (and one real esbuild bundling) for the whole file. The assembly lives inside
  // the repository so the bundle resolves the AWS SDK from node_modules, as Lambda's runtime would.
  let outdir: string;
  let stack: ExampleStack;
  let template: Template;
  let synthError: unknown;

  beforeAll(() => {
    // GIVEN / WHEN
    mkdirSync(join(REPO_ROOT, '.cache'), { recursive: true });
    outdir = mkdtempSync(join(REPO_ROOT, '.cache', 'cdk-example-'));
    const example = exampleApp(outdir);
    stack = example.stack;
    try {
      example.app.synth();
    } catch (error) {
      synthError = error;
    }
    template = Template.fromStack(stack);
  }, 120_000);

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  const resources = () => template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const logicalIdOf = (type: string, predicate: (properties: Record<string, unknown>) => boolean) => {
    const matches = Object.entries(resources()).filter(([, r]) => r.Type === type && predicate(r.Properties));
    expect(matches).toHaveLength(1);
    return matches[0][0];
  };
  const idempotencyTableId = () =>
    logicalIdOf(TABLE, (p) => JSON.stringify(p.TimeToLiveSpecification ?? {}).includes('expiration'));
  const ordersTableId = () => logicalIdOf(TABLE, (p) => p.TimeToLiveSpecification === undefined);
  const isWebhookFunction = (properties: Record<string, unknown>) => JSON.stringify(properties.Environment ?? {}).includes('WEBHOOK_SECRET_ARN');
  const functionId = () => logicalIdOf('AWS::Lambda::Function', (p) => !isWebhookFunction(p));
  const webhookFunctionId = () => logicalIdOf('AWS::Lambda::Function', isWebhookFunction);
  const secretId = () => logicalIdOf('AWS::SecretsManager::Secret', () => true);
  const bundleOf = (id: string) => {
    const assetHash = String((resources()[id].Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
    return join(outdir, `asset.${assetHash}`, 'index.mjs');
  };

  describe('cdk-nag', () => {
    it('passes the AwsSolutions checks, with every acknowledgment reasoned in the code', () => {
      // THEN
      expect(synthError).toBeUndefined();
      const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
      const findings = report.pluginReports.flatMap((plugin) => plugin.violations.map((v) => v.ruleName));
      expect(findings).toEqual([]);
    });

    it('leaves no error annotations on any construct', () => {
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    });

    it('fails synthesis on a violation: the checks really run in this harness', () => {
      // GIVEN a stack breaking AwsSolutions-DDB3 (no point-in-time recovery), checked the same way
      const app = new App({ outdir: join(outdir, 'control') });
      const control = new Stack(app, 'Control');
      new dynamodb.Table(control, 'Unprotected', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      // WHEN / THEN
      expect(() => app.synth()).toThrow(/AwsSolutions-DDB3/);
      const report = JSON.parse(readFileSync(join(outdir, 'control', 'validation-report.json'), 'utf8')) as ValidationReport;
      expect(report.pluginReports.flatMap((p) => p.violations.map((v) => v.ruleName))).toContain('AwsSolutions-DDB3');
    });
  });

  it('names the same operation as the handler it monitors', () => {
    expect(EXAMPLE_OPERATION).toBe(ORDERS_OPERATION);
  });

  it('keeps its construct ids, which name the deployed resources', () => {
    expect(stack.node.findChild('Idempotency')).toBeInstanceOf(IdempotencyTable);
    expect(stack.node.findChild('Orders')).toBeInstanceOf(dynamodb.Table);
    expect(stack.node.findChild('OrdersFunction')).toBeInstanceOf(IdempotentFunction);
    expect(stack.node.findChild('OrdersApi')).toBeInstanceOf(HttpApi);
    expect(stack.node.findChild('PaymentWebhooksFunction')).toBeInstanceOf(IdempotentFunction);
    expect(stack.node.findChild('PaymentWebhookSecret')).toBeInstanceOf(secretsmanager.Secret);
  });

  describe('tables', () => {
    it('has one idempotency table and one orders table', () => {
      template.resourceCountIs(TABLE, 2);
      template.hasResourceProperties(TABLE, {
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('keys orders by a string id, on demand, with point-in-time recovery', () => {
      expect(resources()[ordersTableId()].Properties).toMatchObject({
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('deletes both tables with the stack: an example is torn down after trying it', () => {
      for (const id of [idempotencyTableId(), ordersTableId()]) {
        expect(template.toJSON().Resources[id]).toMatchObject({ DeletionPolicy: 'Delete' });
      }
      expect(resources()[idempotencyTableId()].Properties.DeletionProtectionEnabled).toBe(false);
    });
  });

  describe('function', () => {
    it('runs the orders handler on the newest Node.js runtime with both table names', () => {
      expect(resources()[functionId()].Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        Environment: {
          Variables: {
            IDEMPOTENCY_TABLE_NAME: { Ref: idempotencyTableId() },
            ORDERS_TABLE_NAME: { Ref: ordersTableId() },
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
      });
    });

    it('may use exactly the items of its two tables and write its own log group, nothing more', () => {
      const role = resources()[functionId()].Properties.Role as { 'Fn::GetAtt': [string, string] };
      const statements = statementsOfRole(template, role['Fn::GetAtt'][0]);
      const byResource = Object.fromEntries(statements.map((s) => [JSON.stringify(s.Resource), s.Action]));
      expect(byResource[JSON.stringify([{ 'Fn::GetAtt': [idempotencyTableId(), 'Arn'] }])]).toEqual([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ]);
      expect(byResource[JSON.stringify([{ 'Fn::GetAtt': [ordersTableId(), 'Arn'] }])]).toEqual([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
      expect(statements).toHaveLength(3);
      expect(statements.flatMap((s) => s.Action).filter((a) => a.startsWith('logs:')).sort()).toEqual([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ]);
    });

    it('attaches no managed policy and no broader statement anywhere in the stack', () => {
      const role = resources()[functionId()].Properties.Role as { 'Fn::GetAtt': [string, string] };
      expect(resources()[role['Fn::GetAtt'][0]].Properties.ManagedPolicyArns).toBeUndefined();
      expect(identityStatements(template).map(broaderThanNeeded).filter(Boolean)).toEqual([]);
    });
  });

  describe('webhook function', () => {
    it('reads its signing secret from Secrets Manager by ARN, never from a plain environment value', () => {
      const variables = (resources()[webhookFunctionId()].Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables).toMatchObject({
        IDEMPOTENCY_TABLE_NAME: { Ref: idempotencyTableId() },
        ORDERS_TABLE_NAME: { Ref: ordersTableId() },
        WEBHOOK_SECRET_ARN: { Ref: secretId() },
      });
      expect(variables.WEBHOOK_SECRET).toBeUndefined();
    });

    it('may read its secret, use the idempotency table, count in the orders table and write its log group, nothing more', () => {
      const role = resources()[webhookFunctionId()].Properties.Role as { 'Fn::GetAtt': [string, string] };
      const statements = statementsOfRole(template, role['Fn::GetAtt'][0]);
      const byResource = Object.fromEntries(statements.map((s) => [JSON.stringify(s.Resource), s.Action]));
      expect(byResource[JSON.stringify([{ Ref: secretId() }])]).toEqual(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']);
      expect(byResource[JSON.stringify([{ 'Fn::GetAtt': [ordersTableId(), 'Arn'] }])]).toEqual(['dynamodb:UpdateItem']);
      expect(byResource[JSON.stringify([{ 'Fn::GetAtt': [idempotencyTableId(), 'Arn'] }])]).toEqual([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ]);
      expect(statements).toHaveLength(4);
    });

    it('runs bundled as Lambda would: a delivery sent three times counts once, a forged one gets 401', async () => {
      // GIVEN the deployed artifact, the two tables on DynamoDB Local and a signing secret
      const bundle = bundleOf(webhookFunctionId());
      expect(existsSync(bundle)).toBe(true);
      const idempotency = await createLocalTable('example-hooks');
      const ordersTableName = await createLocalOrdersTable(idempotency);
      const secret = `whsec_${Buffer.from(randomUUID()).toString('base64')}`;
      const delivery = (signWith: string, id: string, timestamp: number) => {
        const body = '{"type":"payment.succeeded"}';
        const key = Buffer.from(signWith.slice('whsec_'.length), 'base64');
        const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
        const event = httpApiEvent('POST', '/webhooks/payments', body) as { headers: Record<string, string> };
        Object.assign(event.headers, { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` });
        return event;
      };
      const now = Math.floor(Date.now() / 1000);

      // WHEN the provider delivers one event three times, and someone sends a forgery
      const responses = await invokeBundle(
        bundle,
        [delivery(secret, 'msg_1', now - 2), delivery(secret, 'msg_1', now - 1), delivery(secret, 'msg_1', now), delivery(`whsec_${Buffer.from('guess').toString('base64')}`, 'msg_2', now)],
        { IDEMPOTENCY_TABLE_NAME: idempotency.tableName, ORDERS_TABLE_NAME: ordersTableName, WEBHOOK_SECRET: secret },
      );

      // THEN
      expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 401]);
      expect(new Set(responses.slice(0, 3).map((r) => r.body))).toEqual(new Set(['{"received":"payment.succeeded","processed":1}']));
    }, 60_000);
  });

  describe('monitoring', () => {
    it('watches the handler\'s operation in the namespace its function writes metrics to', () => {
      expect(stack.node.findChild('IdempotencyMonitoring')).toBeInstanceOf(IdempotencyMonitoring);
      expect(resources()[functionId()].Properties).toMatchObject({
        Environment: { Variables: { METRICS_NAMESPACE: EXAMPLE_METRICS_NAMESPACE } },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: EXAMPLE_METRICS_NAMESPACE,
        MetricName: 'StoreError',
        Dimensions: [{ Name: 'Operation', Value: ORDERS_OPERATION }],
      });
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    });
  });

  describe('HTTP API', () => {
    it('is an HTTP API (API Gateway v2) with exactly POST /orders, GET /orders/{id} and POST /webhooks/payments', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
      const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
        (route) => route.Properties.RouteKey,
      );
      expect(routeKeys.sort()).toEqual(['GET /orders/{id}', 'POST /orders', 'POST /webhooks/payments']);
    });

    it('sends the order routes to the orders function and the webhook route to its own, through payload 2.0 proxy integrations', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Integration', 2);
      const integrationOf = (id: string) =>
        Object.entries(template.findResources('AWS::ApiGatewayV2::Integration')).filter(
          ([, integration]) => JSON.stringify(integration.Properties.IntegrationUri) === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }),
        );
      const [[ordersIntegration, orders]] = integrationOf(functionId());
      const [[webhookIntegration]] = integrationOf(webhookFunctionId());
      expect(orders.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
      for (const route of Object.values(template.findResources('AWS::ApiGatewayV2::Route'))) {
        const expected = route.Properties.RouteKey === 'POST /webhooks/payments' ? webhookIntegration : ordersIntegration;
        expect(JSON.stringify(route.Properties.Target)).toContain(expected);
      }
    });

    it('deploys a throttled $default stage with access logs', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      });
    });

    it('outputs the API URL', () => {
      template.hasOutput('ApiUrl', { Value: Match.anyValue() });
    });
  });

  describe('the bundled handler, run as Lambda would run it', () => {
    it('serves a retried POST /orders once: same response, one order, then GET finds it', async () => {
      // GIVEN the deployed artifact and the two tables, on DynamoDB Local
      const resource = resources()[functionId()];
      const assetHash = String((resource.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
      const bundle = join(outdir, `asset.${assetHash}`, 'index.mjs');
      expect(existsSync(bundle)).toBe(true);
      const idempotency = await createLocalTable('example-idem');
      const ordersTableName = await createLocalOrdersTable(idempotency);
      const post = httpApiEvent('POST', '/orders', '{"amount": 1250, "currency": "EUR"}', 'order-attempt-1');

      // WHEN the client retries the same request
      const [first, retry] = await invokeBundle(bundle, [post, post], {
        IDEMPOTENCY_TABLE_NAME: idempotency.tableName,
        ORDERS_TABLE_NAME: ordersTableName,
      });

      // THEN
      expect(first.statusCode).toBe(201);
      expect(retry.statusCode).toBe(201);
      expect(retry.body).toBe(first.body);
      // Orders only: the example keeps its fakes' and inventory's records in the same table under `<kind>#…` ids.
      const items = await idempotency.client.send(new ScanCommand({ TableName: ordersTableName, ConsistentRead: true }));
      const ids = (items.Items ?? []).map((item) => String(item.id?.S));
      expect(ids.filter((id) => !id.includes('#'))).toHaveLength(1);
      expect(ids.filter((id) => id.startsWith('charge#'))).toHaveLength(1);
      const orderId = (JSON.parse(String(first.body)) as { id: string }).id;
      const [found] = await invokeBundle(bundle, [httpApiEvent('GET', `/orders/${orderId}`)], {
        IDEMPOTENCY_TABLE_NAME: idempotency.tableName,
        ORDERS_TABLE_NAME: ordersTableName,
      });
      expect(found.statusCode).toBe(200);
      expect(JSON.parse(String(found.body))).toMatchObject({ id: orderId, amount: 1250, currency: 'EUR' });
    }, 60_000);

    it('writes one EMF line per call with METRICS_NAMESPACE set, as the stack sets it: executed, then replayed', async () => {
      // GIVEN
      const resource = resources()[functionId()];
      const assetHash = String((resource.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
      const bundle = join(outdir, `asset.${assetHash}`, 'index.mjs');
      const idempotency = await createLocalTable('example-emf');
      const ordersTableName = await createLocalOrdersTable(idempotency);
      const post = httpApiEvent('POST', '/orders', '{"amount": 990, "currency": "EUR"}', 'order-attempt-emf');
      // WHEN
      const { responses, printed } = await runBundle(bundle, [post, post], {
        IDEMPOTENCY_TABLE_NAME: idempotency.tableName,
        ORDERS_TABLE_NAME: ordersTableName,
        METRICS_NAMESPACE: EXAMPLE_METRICS_NAMESPACE,
      });
      // THEN
      expect(responses.map((r) => r.statusCode)).toEqual([201, 201]);
      const metrics = printed.map((line) => JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string }[] } });
      expect(metrics).toHaveLength(2);
      expect(metrics.map((m) => m._aws.CloudWatchMetrics[0].Namespace)).toEqual([EXAMPLE_METRICS_NAMESPACE, EXAMPLE_METRICS_NAMESPACE]);
      expect(metrics.map((m) => [m.Operation, m.Executed, m.Replayed])).toEqual([
        [EXAMPLE_OPERATION, 1, undefined],
        [EXAMPLE_OPERATION, undefined, 1],
      ]);
      expect(printed.join('\n')).not.toContain('order-attempt-emf');
    }, 60_000);
  });
});

interface BundleResponse {
  statusCode: number;
  body?: string;
}

/** Runs the bundle in its own Node.js process, against this run's DynamoDB Local. */
async function invokeBundle(bundle: string, events: unknown[], env: Record<string, string>): Promise<BundleResponse[]> {
  return (await runBundle(bundle, events, env)).responses;
}

/** {@link invokeBundle}, with the lines the handler wrote to standard output besides the responses. */
function runBundle(
  bundle: string,
  events: unknown[],
  env: Record<string, string>,
): Promise<{ responses: BundleResponse[]; printed: string[] }> {
  const childEnv = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoDBEndpoint'),
    ...env,
  };
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [INVOKE_BUNDLE, bundle],
      { env: childEnv, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`the bundled handler failed: ${stderr || error.message}`, { cause: error }));
          return;
        }
        const lines = stdout.split('\n');
        const responses = JSON.parse(lines.pop() ?? '') as BundleResponse[];
        resolve({ responses, printed: lines.filter((line) => line !== '') });
      },
    );
    child.stdin?.end(JSON.stringify(events));
  });
}

/** An API Gateway HTTP API (payload 2.0) event, as the example's routes receive it. */
function httpApiEvent(method: string, path: string, body?: string, idempotencyKey?: string): unknown {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': `"${idempotencyKey}"` } : {}),
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'example',
      domainName: 'example.execute-api.us-east-1.amazonaws.com',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: 'request',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '28/Nov/2026:14:00:00 +0000',
      timeEpoch: 1_795_000_000_000,
    },
    body,
    isBase64Encoded: false,
  };
}
