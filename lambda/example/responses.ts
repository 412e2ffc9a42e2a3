import type { HttpResponse } from '../http/http-response.js';
import { PROBLEM_CONTENT_TYPE } from '../http/problem.js';

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** An RFC 9457 problem response for the example's own errors (bad input, not found). */
export function problemJson(statusCode: number, slug: string, title: string, detail: string): HttpResponse {
  return {
    statusCode,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify({ type: `tag:retry-safe,2026:example:${slug}`, title, status: statusCode, detail }),
  };
}
