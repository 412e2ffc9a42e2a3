/**
 * The Lambda and Middy shapes retry-safe's public types mention, declared here so that users
 * need neither `@types/aws-lambda` nor `@middy/core` installed to compile against them.
 *
 * Each is a structural subset of the real type: a `Context` from `aws-lambda`, an API Gateway
 * or ALB event, and a Middy `Request` are all assignable to these, so users who do have the
 * real packages pass their own values unchanged (the repository's tests compile against both).
 * No imports, no runtime code.
 */

/**
 * The parts of the Lambda context object retry-safe reads or hands back to you: the fields of
 * `Context` from `@types/aws-lambda`, less the deprecated callbacks and the mobile-SDK ones.
 * A real `Context` is one.
 */
export interface LambdaContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Milliseconds left before Lambda stops the invocation; bounds the lease on a claim. */
  getRemainingTimeInMillis(): number;
}

type Headers = Readonly<Record<string, string | undefined>>;
type MultiValueHeaders = Readonly<Record<string, readonly string[] | undefined>>;

/**
 * A proxy event with payload format 1.0: an API Gateway REST API event, or an ALB event
 * (`requestContext.elb`), as far as `httpIdempotency()` reads it.
 */
export interface HttpEventV1 {
  readonly httpMethod: string;
  readonly path: string;
  readonly headers?: Headers | null | undefined;
  readonly multiValueHeaders?: MultiValueHeaders | null | undefined;
  readonly queryStringParameters?: Headers | null | undefined;
  readonly multiValueQueryStringParameters?: MultiValueHeaders | null | undefined;
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
  readonly requestContext: object;
}

/**
 * A proxy event with payload format 2.0: an API Gateway HTTP API event or a Lambda Function
 * URL event, as far as `httpIdempotency()` reads it.
 */
export interface HttpEventV2 {
  readonly version: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly headers: Headers;
  readonly body?: string | undefined;
  readonly isBase64Encoded: boolean;
  readonly requestContext: {
    readonly domainName: string;
    readonly http: { readonly method: string; readonly path: string };
  };
}

/**
 * The request Middy hands each middleware hook: the fields of `Request` from `@middy/core`
 * (6.x and 7.x) that retry-safe's hooks read and write.
 */
export interface MiddyRequest<TEvent = unknown, TResult = unknown, TError = Error, TContext extends LambdaContext = LambdaContext> {
  event: TEvent;
  context: TContext;
  /** `undefined` before the handler ran, in Middy 7. */
  response: TResult | null | undefined;
  /** Set in `before` to answer without running the handler (Middy 6+). */
  earlyResponse?: TResult | null | undefined;
  error: TError | null | undefined;
}

/**
 * A Middy middleware: what `middy(handler).use(...)` accepts, with the hooks retry-safe sets.
 * Assignable to `MiddlewareObj` from `@middy/core`.
 */
export interface MiddyMiddleware<TEvent = unknown, TResult = unknown, TError = Error, TContext extends LambdaContext = LambdaContext> {
  before?: (request: MiddyRequest<TEvent, TResult, TError, TContext>) => Promise<void>;
  after?: (request: MiddyRequest<TEvent, TResult, TError, TContext>) => Promise<void>;
  onError?: (request: MiddyRequest<TEvent, TResult, TError, TContext>) => Promise<void>;
}
