import { IdempotencyError } from '../core/errors.js';
import type { HttpEventV1, HttpEventV2 } from '../core/lambda-types.js';

/**
 * The HTTP events `httpIdempotency()` understands: API Gateway REST and HTTP API, Function URL
 * and ALB events (`APIGatewayProxyEvent`, `APIGatewayProxyEventV2`, `LambdaFunctionURLEvent`,
 * `ALBEvent` from `aws-lambda` are all assignable to it).
 */
export type HttpEvent = HttpEventV1 | HttpEventV2;

/** Which service sent the event, which decides where its fields live. */
export type HttpEventKind = 'rest-v1' | 'http-v2' | 'function-url' | 'alb';

/** The parts of an HTTP event the idempotency layer reads, the same for every event shape. */
export interface HttpRequestView {
  readonly kind: HttpEventKind;
  /** Upper case, e.g. `POST`. */
  readonly method: string;
  /** The path as requested (not the route template), e.g. `/orders/42/refund`. */
  readonly path: string;
  /** Query parameters: name to values, in the order sent. */
  readonly query: Readonly<Record<string, readonly string[]>>;
  /** The body as the event carries it: text, base64 text, or an object a body parser made. */
  readonly body: unknown;
  readonly isBase64Encoded: boolean;
  /**
   * Every value of a header (name case-insensitive). Where the event keeps repeated headers
   * apart (`multiValueHeaders`), each is one entry; where it joins them (HTTP API, Function
   * URLs), the joined text is one entry.
   */
  readonly headerValues: (name: string) => string[];
  /** True for an ALB target with multi-value headers on: its responses must use `multiValueHeaders`. */
  readonly multiValueResponse: boolean;
}

type Loose = Record<string, unknown>;

function asRecord(value: unknown): Loose | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Loose) : undefined;
}

/** Which kind of HTTP event this is, or `undefined` for anything else. */
export function httpEventKind(event: unknown): HttpEventKind | undefined {
  const e = asRecord(event);
  const context = asRecord(e?.requestContext);
  if (!e || !context) return undefined;
  if (context.elb !== undefined) return 'alb';
  if (e.version === '2.0' && asRecord(context.http)) {
    // Function URLs use the v2 payload; only their domain tells them apart.
    return String(context.domainName ?? '').includes('.lambda-url.') ? 'function-url' : 'http-v2';
  }
  if (typeof e.httpMethod === 'string') return 'rest-v1';
  return undefined;
}

/**
 * Reads an HTTP event of any supported shape.
 * @throws IdempotencyError when the event is not one (a wiring mistake, not a client's).
 */
export function readHttpEvent(event: unknown): HttpRequestView {
  const kind = httpEventKind(event);
  if (!kind) {
    throw new IdempotencyError(
      'httpIdempotency() got an event that is not from API Gateway (REST or HTTP API), a Function URL or an ALB; use idempotency() for other events',
    );
  }
  const e = event as Loose;
  const context = e.requestContext as Loose;
  const singleHeaders = asRecord(e.headers) ?? {};
  const multiHeaders = asRecord(e.multiValueHeaders);
  const isV2 = kind === 'http-v2' || kind === 'function-url';
  return {
    kind,
    method: String(isV2 ? (context.http as Loose).method : e.httpMethod).toUpperCase(),
    path: String(isV2 ? (e.rawPath ?? (context.http as Loose).path) : e.path),
    query: isV2 ? queryFromRaw(e.rawQueryString) : queryFromMaps(e.multiValueQueryStringParameters, e.queryStringParameters),
    body: e.body ?? undefined,
    isBase64Encoded: e.isBase64Encoded === true,
    headerValues: (name) => headerValues(name, singleHeaders, multiHeaders),
    multiValueResponse: kind === 'alb' && multiHeaders !== undefined,
  };
}

function headerValues(name: string, single: Loose, multi: Loose | undefined): string[] {
  const wanted = name.toLowerCase();
  // REST APIs send both maps: `headers` keeps only the last value, `multiValueHeaders` keeps all.
  const source: Loose = multi && Object.keys(multi).some((k) => k.toLowerCase() === wanted) ? multi : single;
  const values: string[] = [];
  for (const [key, value] of Object.entries(source)) {
    if (key.toLowerCase() !== wanted) continue;
    if (Array.isArray(value)) values.push(...value.map(String));
    else if (value !== undefined && value !== null) values.push(String(value));
  }
  return values;
}

function queryFromRaw(raw: unknown): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  if (typeof raw !== 'string' || raw === '') return query;
  for (const [name, value] of new URLSearchParams(raw)) (query[name] ??= []).push(value);
  return query;
}

function queryFromMaps(multi: unknown, single: unknown): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  const multiMap = asRecord(multi);
  if (multiMap) {
    for (const [name, values] of Object.entries(multiMap)) {
      if (Array.isArray(values)) query[name] = values.map(String);
    }
    return query;
  }
  for (const [name, value] of Object.entries(asRecord(single) ?? {})) {
    if (value !== undefined && value !== null) query[name] = [String(value)];
  }
  return query;
}
