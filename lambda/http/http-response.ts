import { STATUS_CODES } from 'node:http';
import type { HttpEventKind } from './http-event.js';
import { PROBLEM_CONTENT_TYPE, type Problem } from './problem.js';

/** The header a replayed response carries, and a first execution never does. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** A proxy-integration response, the shape every supported event source accepts. */
export interface HttpResponse {
  /** The status code. Its decimal text (`'201'`), which API Gateway and ALBs accept too, is stored and replayed as sent. */
  statusCode: number;
  /** ALB only: the status line's text, e.g. `409 Conflict`. @default - the service's standard text */
  statusDescription?: string;
  /** One value per header. @default - no headers */
  headers?: Record<string, string | number | boolean>;
  /** Several values per header (REST APIs; ALBs with multi-value headers on). @default - none */
  multiValueHeaders?: Record<string, Array<string | number | boolean>>;
  /** HTTP API and Function URL only: `Set-Cookie` values. @default - none */
  cookies?: string[];
  /** The body as text, or as base64 when `isBase64Encoded`. @default - an empty body */
  body?: string;
  /** Whether `body` is base64 (binary). @default false */
  isBase64Encoded?: boolean;
}

type Loose = Record<string, unknown>;

// API Gateway and ALBs take a status code as a number or as its decimal text (`'201'`).
const STATUS_TEXT = /^[1-5][0-9][0-9]$/;

/** The status code a proxy response sets, as a number, or `undefined` if it is not one. */
function statusCodeOf(response: unknown): number | undefined {
  if (typeof response !== 'object' || response === null) return undefined;
  const status = (response as Loose).statusCode;
  if (typeof status === 'number') return status;
  return typeof status === 'string' && STATUS_TEXT.test(status) ? Number(status) : undefined;
}

function isProxyResponse(response: unknown): response is HttpResponse {
  return statusCodeOf(response) !== undefined;
}

/**
 * The status code a handler's response is sent with, or `undefined` if the service could
 * not send it as one. HTTP APIs and Function URLs send a value without `statusCode` as a 200
 * JSON body; REST APIs and ALBs reject it (a 502).
 */
export function statusOf(response: unknown, kind: HttpEventKind): number | undefined {
  const status = statusCodeOf(response);
  if (status !== undefined) return status;
  return kind === 'http-v2' || kind === 'function-url' ? 200 : undefined;
}

/**
 * Whether a response is kept for replay: 2xx, 3xx and 4xx, except 429 (the client is told to
 * come back, so the retry must run). 5xx only with `cacheServerErrors`, as Stripe does.
 */
export function isStorable(status: number | undefined, cacheServerErrors: boolean): boolean {
  if (status === undefined || !Number.isInteger(status)) return false;
  if (status === 429) return false;
  if (status >= 200 && status < 500) return true;
  return cacheServerErrors && status >= 500 && status < 600;
}

/**
 * The stored response as sent again: the same status, headers and body (the body string is
 * returned as stored, never re-serialized), plus `Idempotent-Replayed: true`.
 */
export function replayResponse(stored: unknown, kind: HttpEventKind, multiValueResponse: boolean): HttpResponse {
  const response: HttpResponse = isProxyResponse(stored)
    ? { ...stored }
    : // What HTTP APIs and Function URLs send for a value returned without `statusCode`.
      { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(stored) };
  return withHeader(response, REPLAYED_HEADER, 'true', kind, multiValueResponse);
}

/** A problem+json response in the shape the event source expects. */
export function problemResponse(
  problem: Problem,
  kind: HttpEventKind,
  multiValueResponse: boolean,
  extraHeaders: Record<string, string> = {},
): HttpResponse {
  const headers: Record<string, string> = { 'Content-Type': PROBLEM_CONTENT_TYPE, ...extraHeaders };
  const response: HttpResponse = { statusCode: problem.status, body: JSON.stringify(problem), isBase64Encoded: false };
  if (multiValueResponse) {
    response.multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
  } else {
    response.headers = headers;
  }
  if (kind === 'alb') response.statusDescription = `${problem.status} ${STATUS_CODES[problem.status] ?? ''}`.trim();
  return response;
}

/** Sets one header (replacing any of the same name, in any case) where this event source reads it. */
function withHeader(
  response: HttpResponse,
  name: string,
  value: string,
  kind: HttpEventKind,
  multiValueResponse: boolean,
): HttpResponse {
  const lower = name.toLowerCase();
  const without = <T>(map: Record<string, T> | undefined) =>
    Object.fromEntries(Object.entries(map ?? {}).filter(([key]) => key.toLowerCase() !== lower));
  // An ALB with multi-value headers on reads only `multiValueHeaders`; elsewhere `headers` always works.
  const useMulti = multiValueResponse || (kind !== 'http-v2' && kind !== 'function-url' && !response.headers && !!response.multiValueHeaders);
  if (useMulti) {
    const headers = response.headers ? without(response.headers) : undefined;
    return {
      ...response,
      ...(headers ? { headers } : {}),
      multiValueHeaders: { ...without(response.multiValueHeaders), [name]: [value] },
    };
  }
  const multiValueHeaders = response.multiValueHeaders ? without(response.multiValueHeaders) : undefined;
  return {
    ...response,
    ...(multiValueHeaders ? { multiValueHeaders } : {}),
    headers: { ...without(response.headers), [name]: value },
  };
}
