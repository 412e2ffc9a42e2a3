/**
 * Event fixtures for each HTTP event shape, modelled on the samples in the AWS documentation
 * (API Gateway REST proxy v1, HTTP API v2, Function URL, ALB with and without multi-value headers).
 */
import { randomUUID } from 'node:crypto';
import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2, LambdaFunctionURLEvent } from 'aws-lambda';
import type { HttpEvent, HttpResponse } from '../../../lambda/index.js';

/** What a test request is made of; each builder turns it into one event shape. */
export interface RequestSpec {
  method?: string;
  path?: string;
  /** Header name as the client sent it, to values (one entry per time the header was sent). */
  headers?: Record<string, string | string[]>;
  body?: string;
  isBase64Encoded?: boolean;
  query?: Record<string, string[]>;
  /** Replaces `requestContext.authorizer` (v1) or `requestContext.authorizer` (v2, Function URL). */
  authorizer?: Record<string, unknown>;
  /** REST v1 only: merged into `requestContext.identity`. */
  identity?: Record<string, unknown>;
}

/** An event builder for one shape. */
export type EventBuilder = (spec: RequestSpec) => HttpEvent;

const time = () => ({ timeEpoch: Date.now(), requestId: randomUUID() });

function lastValues(headers: Record<string, string | string[]>, lower: boolean): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [lower ? k.toLowerCase() : k, Array.isArray(v) ? v[v.length - 1] : v]),
  );
}

function allValues(headers: Record<string, string | string[]>, lower: boolean): Record<string, string[]> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [lower ? k.toLowerCase() : k, Array.isArray(v) ? v : [v]]));
}

/** HTTP APIs and Function URLs lowercase names and join repeated headers with commas. */
function joinedValues(headers: Record<string, string | string[]>): Record<string, string> {
  const joined: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase();
    const values = Array.isArray(v) ? v : [v];
    joined[name] = joined[name] ? `${joined[name]},${values.join(',')}` : values.join(',');
  }
  return joined;
}

/** API Gateway REST API, Lambda proxy integration (payload 1.0). */
export const restV1: EventBuilder = (spec) => {
  const headers = { Host: 'abc123.execute-api.us-east-1.amazonaws.com', 'X-Amzn-Trace-Id': `Root=1-${randomUUID()}`, ...spec.headers };
  const { requestId, timeEpoch } = time();
  const event: APIGatewayProxyEvent = {
    resource: '/orders',
    path: spec.path ?? '/orders',
    httpMethod: spec.method ?? 'POST',
    headers: lastValues(headers, false),
    multiValueHeaders: allValues(headers, false),
    queryStringParameters: spec.query ? lastValues(spec.query, false) : null,
    multiValueQueryStringParameters: spec.query ?? null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: spec.authorizer ?? null,
      protocol: 'HTTP/1.1',
      httpMethod: spec.method ?? 'POST',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.7',
        user: null,
        userAgent: 'curl/8.5.0',
        userArn: null,
        ...spec.identity,
      },
      path: `/prod${spec.path ?? '/orders'}`,
      stage: 'prod',
      requestId,
      requestTimeEpoch: timeEpoch,
      resourceId: 'r1',
      resourcePath: '/orders',
    },
    body: spec.body ?? null,
    isBase64Encoded: spec.isBase64Encoded ?? false,
  };
  return event;
};

function v2(spec: RequestSpec, domainName: string): APIGatewayProxyEventV2 {
  const headers = joinedValues({ Host: domainName, 'X-Amzn-Trace-Id': `Root=1-${randomUUID()}`, ...spec.headers });
  const { requestId, timeEpoch } = time();
  const rawQueryString = new URLSearchParams(
    Object.entries(spec.query ?? {}).flatMap(([k, vs]) => vs.map((v): [string, string] => [k, v])),
  ).toString();
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: spec.path ?? '/orders',
    rawQueryString,
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: domainName.split('.')[0],
      domainName,
      domainPrefix: domainName.split('.')[0],
      http: { method: spec.method ?? 'POST', path: spec.path ?? '/orders', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: new Date(timeEpoch).toUTCString(),
      timeEpoch,
      ...(spec.authorizer ? { authorizer: spec.authorizer } : {}),
    },
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    isBase64Encoded: spec.isBase64Encoded ?? false,
  };
  return event as APIGatewayProxyEventV2;
}

/** API Gateway HTTP API (payload 2.0). */
export const httpV2: EventBuilder = (spec) => v2(spec, 'abc123.execute-api.us-east-1.amazonaws.com');

/** Lambda Function URL (payload 2.0 on a `lambda-url` domain). */
export const functionUrl: EventBuilder = (spec) =>
  v2(spec, 'a1b2c3d4e5f6.lambda-url.us-east-1.on.aws') as LambdaFunctionURLEvent;

function alb(spec: RequestSpec, multiValue: boolean): ALBEvent {
  const headers = { host: 'orders-123.us-east-1.elb.amazonaws.com', 'x-amzn-trace-id': `Root=1-${randomUUID()}`, ...spec.headers };
  return {
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/orders/1' } },
    httpMethod: spec.method ?? 'POST',
    path: spec.path ?? '/orders',
    ...(multiValue
      ? { multiValueHeaders: allValues(headers, true), multiValueQueryStringParameters: spec.query ?? {} }
      : { headers: lastValues(headers, true), queryStringParameters: spec.query ? lastValues(spec.query, false) : {} }),
    body: spec.body ?? '',
    isBase64Encoded: spec.isBase64Encoded ?? false,
  };
}

/** Application Load Balancer target, multi-value headers off (the last value of a repeated header wins). */
export const albSingle: EventBuilder = (spec) => alb(spec, false);

/** Application Load Balancer target, multi-value headers on. */
export const albMulti: EventBuilder = (spec) => alb(spec, true);

/** Every supported shape, by name, for `describe.each`. */
export const SHAPES: ReadonlyArray<readonly [string, EventBuilder]> = [
  ['REST API (v1)', restV1],
  ['HTTP API (v2)', httpV2],
  ['Function URL', functionUrl],
  ['ALB', albSingle],
  ['ALB, multi-value headers', albMulti],
];

/** A header of a response, wherever the shape puts it (single or multi-value), by case-insensitive name. */
export function header(response: HttpResponse, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(response.headers ?? {})) if (key.toLowerCase() === lower) return String(value);
  for (const [key, values] of Object.entries(response.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === lower) return values.map(String).join(',');
  }
  return undefined;
}
