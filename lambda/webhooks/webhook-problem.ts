import { httpProblemFor } from '../http/problem-mapping.js';
import { problem, PROBLEM_TYPE_PREFIX, type Problem } from '../http/problem.js';

/** The problems only a webhook receiver reports, each with its status and title. */
export const WEBHOOK_PROBLEM_KINDS = {
  signatureInvalid: { slug: 'webhook-signature-invalid', status: 401, title: 'Webhook signature verification failed' },
  deliveryIdInvalid: { slug: 'webhook-delivery-id-invalid', status: 400, title: 'Webhook delivery id missing or invalid' },
  inProgress: { slug: 'webhook-delivery-in-progress', status: 409, title: 'A delivery with this id is in progress' },
  deliveryIdReused: { slug: 'webhook-delivery-id-reused', status: 422, title: 'Webhook delivery id reused with a different body' },
} as const;

/** One of {@link WEBHOOK_PROBLEM_KINDS}. */
export type WebhookProblemKind = keyof typeof WEBHOOK_PROBLEM_KINDS;

/** Builds the problem document for a webhook problem kind, with this occurrence's detail. */
export function webhookProblem(kind: WebhookProblemKind, detail: string): Problem {
  const { slug, status, title } = WEBHOOK_PROBLEM_KINDS[kind];
  return { type: PROBLEM_TYPE_PREFIX + slug, title, status, detail };
}

/**
 * The answer to an engine error raised by a claim, in a webhook's words: the HTTP adapter's
 * mapping decides the status and `Retry-After`; the titles speak of deliveries rather than
 * `Idempotency-Key`. `undefined` for anything else (a bug or a misconfiguration, not the sender's).
 */
export function webhookProblemFor(error: unknown): { problem: Problem; headers?: Record<string, string> } | undefined {
  const mapped = httpProblemFor(error);
  if (!mapped) return undefined;
  switch (mapped.kind) {
    case 'inProgress':
      return {
        problem: webhookProblem('inProgress', 'the first delivery with this id is still being processed; retry later'),
        headers: mapped.headers,
      };
    case 'keyReused':
      return {
        problem: webhookProblem(
          'deliveryIdReused',
          'this delivery id was already received with a different body; the stored delivery is unchanged',
        ),
      };
    case 'resultUnavailable':
      return {
        problem: problem('resultUnavailable', 'the delivery with this id already completed, but its response was too large to keep; it will not run again'),
      };
    default:
      return { problem: problem(mapped.kind, mapped.detail), headers: mapped.headers };
  }
}
