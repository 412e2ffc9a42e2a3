/**
 * The example API, locally: DynamoDB Local plus an HTTP server that turns each request into an
 * API Gateway HTTP API (v2) event for the very handler the CDK stack deploys
 * (`lambda/example/orders.ts`), and `POST /webhooks/payments` to the example's webhook receiver
 * (`lambda/example/payment-webhooks.ts`). Shared by `npm start`, `npm run demo` and the end-to-end test.
 */
import { createServer, type Server } from 'node:http';
import { createIdempotencyTable, createOrdersTable, localClient, startDynamoDBLocal, type DynamoDBLocal } from './dynamodb-local.js';
import { lambdaContext, readBody, toHttpApiEvent, writeInternalError, writeResult } from './http-api-event.js';

/** Options for {@link startLocalApi}. */
export interface LocalApiOptions {
  /** Port to listen on; `0` picks a free one. @default 3000 */
  readonly port?: number;
  /** Address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Use this DynamoDB (Local) endpoint instead of starting one. @default - start DynamoDB Local */
  readonly dynamoDBEndpoint?: string;
  /** Keep DynamoDB Local's tables in this folder. @default - in memory */
  readonly dataDir?: string;
  /** The idempotency table's name. @default 'retry-safe-idempotency' */
  readonly idempotencyTableName?: string;
  /** The orders table's name. @default 'retry-safe-orders' */
  readonly ordersTableName?: string;
  /** The function name the handler sees in its context. @default 'retry-safe-orders' */
  readonly functionName?: string;
  /** The function timeout the context counts down from, in ms. @default 30000 */
  readonly timeoutMs?: number;
  /**
   * The webhook receiver's signing secret (`whsec_…`).
   * @default - `WEBHOOK_SECRET` from the environment, else {@link LOCAL_WEBHOOK_SECRET}
   */
  readonly webhookSecret?: string;
  /** Where handler failures are reported. @default - `console.error` */
  readonly onHandlerError?: (error: unknown) => void;
}

/** A running local API. */
export interface LocalApi {
  /** `http://<host>:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly dynamoDBEndpoint: string;
  /** Whether DynamoDB Local was started here (and is stopped by {@link LocalApi.close}). */
  readonly ownsDynamoDB: boolean;
  readonly idempotencyTableName: string;
  readonly ordersTableName: string;
  /** The signing secret `POST /webhooks/payments` verifies deliveries with. */
  readonly webhookSecret: string;
  /** Stops the server and, if it started one, DynamoDB Local; restores the environment. */
  close(): Promise<void>;
}

/**
 * The local webhook receiver's signing secret when none is given: a fixed, public value, so
 * `npm run demo --url …` can sign for a running `npm start`. Deployed, the secret lives in
 * Secrets Manager.
 */
export const LOCAL_WEBHOOK_SECRET = `whsec_${Buffer.from('retry-safe local demo secret, not for prod').toString('base64')}`;

/** The path of the example's webhook receiver. */
export const WEBHOOK_PATH = '/webhooks/payments';

const TIMED_OUT = Symbol('timed out');

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

// The handler module reads its configuration once, when imported; one configuration per process.
let loadedFor: string | undefined;

/** Starts DynamoDB Local (unless given an endpoint), creates both tables, and serves the example API. */
export async function startLocalApi(options: LocalApiOptions = {}): Promise<LocalApi> {
  const host = options.host ?? '127.0.0.1';
  const idempotencyTableName = options.idempotencyTableName ?? 'retry-safe-idempotency';
  const ordersTableName = options.ordersTableName ?? 'retry-safe-orders';
  const functionName = options.functionName ?? 'retry-safe-orders';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const onHandlerError = options.onHandlerError ?? ((error) => console.error('handler failed:', error));

  const webhookSecret = options.webhookSecret ?? process.env.WEBHOOK_SECRET ?? LOCAL_WEBHOOK_SECRET;
  let handler: Handler | undefined;
  let webhookHandler: Handler | undefined;
  const server = createServer((request, response) => {
    void serve(request, response).catch((error) => {
      onHandlerError(error);
      writeInternalError(response);
    });
  });
  async function serve(request: Parameters<typeof toHttpApiEvent>[0], response: Parameters<typeof writeResult>[0]) {
    const body = await readBody(request);
    if (body === 'too-large') {
      response.writeHead(413, { 'content-type': 'application/json' }).end('{"message":"Request Entity Too Large"}');
      return;
    }
    if (!handler || !webhookHandler) {
      response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"message":"Starting"}');
      return;
    }
    const event = toHttpApiEvent(request, body);
    // API Gateway routes by path: the webhook route goes to its own function, as the CDK stack deploys it.
    const target = event.rawPath === WEBHOOK_PATH ? webhookHandler : handler;
    const invocation = target(event, lambdaContext(functionName, event.requestContext.requestId, timeoutMs));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
    });
    const result = await Promise.race([invocation, timedOut]).finally(() => clearTimeout(timer));
    if (result === TIMED_OUT) {
      // What API Gateway answers when the integration outlives its timeout.
      response.writeHead(504, { 'content-type': 'application/json' }).end('{"message":"Endpoint request timed out"}');
      invocation.catch(onHandlerError);
      return;
    }
    writeResult(response, result);
  }

  // Listen first: a taken port fails in milliseconds, before DynamoDB Local's slow start.
  const port = await listen(server, options.port ?? 3000, host);
  let dynamo: DynamoDBLocal | undefined;
  const restoreEnvironment: Array<() => void> = [];
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await dynamo?.stop();
      for (const restore of restoreEnvironment.reverse()) restore();
    })());
  try {
    if (!options.dynamoDBEndpoint) dynamo = await startDynamoDBLocal({ dataDir: options.dataDir });
    const endpoint = options.dynamoDBEndpoint ?? dynamo!.endpoint;
    const client = localClient(endpoint);
    await createIdempotencyTable(client, idempotencyTableName);
    await createOrdersTable(client, ordersTableName);
    client.destroy();

    const configuration = JSON.stringify([endpoint, idempotencyTableName, ordersTableName, webhookSecret]);
    if (loadedFor !== undefined && loadedFor !== configuration) {
      throw new Error('the example handler is already loaded in this process for other tables; start one local API per process');
    }
    const environment: Record<string, string> = {
      IDEMPOTENCY_TABLE_NAME: idempotencyTableName,
      ORDERS_TABLE_NAME: ordersTableName,
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: 'us-east-1',
      // DynamoDB Local accepts any credentials; these keep the SDK from looking for real ones.
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      WEBHOOK_SECRET: webhookSecret,
    };
    for (const [name, value] of Object.entries(environment)) {
      const previous = process.env[name];
      process.env[name] = value;
      restoreEnvironment.push(() => {
        if (previous === undefined) delete process.env[name];
        else process.env[name] = previous;
      });
    }
    const module = await import('../lambda/example/orders.js');
    const webhooks = await import('../lambda/example/payment-webhooks.js');
    loadedFor = configuration;
    handler = module.handler as unknown as Handler;
    webhookHandler = webhooks.handler as unknown as Handler;
    return {
      url: `http://${host}:${port}`,
      port,
      dynamoDBEndpoint: endpoint,
      ownsDynamoDB: dynamo !== undefined,
      idempotencyTableName,
      ordersTableName,
      webhookSecret,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new Error(`port ${port} on ${host} is already in use: stop what listens there, or pass --port <another port>`));
      } else if (error.code === 'EACCES') {
        reject(new Error(`no permission to listen on port ${port}: pass --port with a number above 1023`));
      } else {
        reject(error);
      }
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
