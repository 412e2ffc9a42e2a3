import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** What a {@link countRequests} middleware has seen since its last reset. */
export interface RequestCount {
  /** HTTP requests sent, each SDK retry included. */
  requests: number;
  /** Bytes of the serialized request bodies (the JSON DynamoDB receives). */
  bodyBytes: number;
  /** Requests per operation, e.g. `{ PutItem: 1, UpdateItem: 1 }`. */
  byOperation: Record<string, number>;
}

/** A live count of one client's DynamoDB requests. */
export interface RequestCounter {
  /** The count so far. */
  readonly count: RequestCount;
  /** Starts counting from zero again. */
  reset(): void;
}

interface HttpRequestLike {
  headers?: Record<string, string>;
  body?: unknown;
}

function bodyBytes(body: unknown): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return 0;
}

/**
 * Adds a middleware to `client` that counts every HTTP request it sends and the bytes of
 * each body. It sits in the `deserialize` step, inside the retry loop, so every attempt
 * counts, as every attempt is billed.
 */
export function countRequests(client: DynamoDBClient): RequestCounter {
  const count: RequestCount = { requests: 0, bodyBytes: 0, byOperation: {} };
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as HttpRequestLike;
      // The JSON protocol names the operation in a header: `DynamoDB_20120810.PutItem`.
      const target = request.headers?.['x-amz-target'] ?? 'unknown';
      const operation = target.slice(target.indexOf('.') + 1);
      count.requests += 1;
      count.bodyBytes += bodyBytes(request.body);
      count.byOperation[operation] = (count.byOperation[operation] ?? 0) + 1;
      return next(args);
    },
    { step: 'deserialize', name: 'retrySafeBenchRequestCounter' },
  );
  return {
    count,
    reset() {
      count.requests = 0;
      count.bodyBytes = 0;
      count.byOperation = {};
    },
  };
}
