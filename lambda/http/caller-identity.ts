/**
 * The caller's identity as API Gateway, Function URLs, ALBs and their authorizers put it in the
 * event: never from headers the client controls (the ALB's OIDC header is set by the ALB).
 */
import { IdempotencyError } from '../core/errors.js';

type Loose = Record<string, unknown>;

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const name of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Loose)[name];
  }
  return current;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

// `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`: the session name changes when
// credentials are refreshed, so it is not part of the caller.
const ASSUMED_ROLE_SESSION = /^(arn:[^:]+:sts::[^:]*:assumed-role\/[^/]+)\/.+$/;

/** An IAM principal's ARN as a stable caller: an assumed role by its role, without the session name. */
export function iamCaller(arn: string): string {
  return arn.replace(ASSUMED_ROLE_SESSION, '$1');
}

/**
 * The verified caller identity an event carries, or `undefined` when it carries none.
 *
 * In order: a JWT `sub` (HTTP API JWT authorizer, REST Cognito user pool authorizer), with its
 * issuer; a Cognito identity id (IAM auth through an identity pool, which must come before the
 * pool role's ARN, shared by every user); an IAM user or role ARN (an assumed role by its role,
 * not its session); a Lambda authorizer's `principalId` (REST APIs; for an HTTP API's simple
 * responses, a `principalId` the authorizer returns in its context); the ALB's
 * `x-amzn-oidc-identity` (set by a listener rule that authenticates); a REST API key's id.
 * Each kind is prefixed, so equal strings of different kinds never share a scope.
 */
export function callerIdentity(event: unknown): string | undefined {
  const context = field(event, 'requestContext');
  const authorizer = field(context, 'authorizer');

  const claims = field(authorizer, 'jwt', 'claims') ?? field(authorizer, 'claims');
  const sub = text(field(claims, 'sub'));
  if (sub) return `jwt:${text(field(claims, 'iss')) ?? ''} ${sub}`;

  const cognitoIdentity =
    text(field(authorizer, 'iam', 'cognitoIdentity', 'identityId')) ?? text(field(context, 'identity', 'cognitoIdentityId'));
  if (cognitoIdentity) return `cognito:${cognitoIdentity}`;

  const userArn = text(field(authorizer, 'iam', 'userArn')) ?? text(field(context, 'identity', 'userArn'));
  if (userArn) return `iam:${iamCaller(userArn)}`;

  const principalId = text(field(authorizer, 'principalId')) ?? text(field(authorizer, 'lambda', 'principalId'));
  if (principalId) return `authorizer:${principalId}`;

  if (field(context, 'elb') !== undefined) {
    const oidc = text(headerOf(event, 'x-amzn-oidc-identity'));
    if (oidc) return `oidc:${oidc}`;
  }

  const apiKeyId = text(field(context, 'identity', 'apiKeyId'));
  if (apiKeyId) return `api-key:${apiKeyId}`;

  return undefined;
}

/**
 * The default scope of `httpIdempotency()`: the caller's identity. An event that shows an
 * authorizer ran but names no caller (an HTTP API Lambda authorizer's simple response, say) is
 * refused, never run in a key space shared by every caller: the fix is `options.scope`.
 * An event with no authentication at all has no caller to scope by: `undefined` (shared keys).
 *
 * @throws IdempotencyError when an authorizer ran and no identity can be read
 */
export function defaultScope(event: unknown): string | undefined {
  const identity = callerIdentity(event);
  if (identity !== undefined || !isAuthenticated(event)) return identity;
  throw new IdempotencyError(
    'httpIdempotency() cannot tell callers apart: the request passed an authorizer that names no caller ' +
      '(an HTTP API Lambda authorizer with simple responses, say). Return the caller as principalId in the ' +
      "authorizer's context, or pass options.scope, e.g. scope: (event) => event.requestContext.authorizer.lambda.userId",
  );
}

/** True when the event carries an authorizer's output: someone was authenticated. */
function isAuthenticated(event: unknown): boolean {
  const authorizer = field(event, 'requestContext', 'authorizer');
  if (typeof authorizer !== 'object' || authorizer === null) return false;
  // API Gateway adds its own timing to an authorizer's output; it says nothing about the caller.
  return Object.keys(authorizer).some((name) => name !== 'integrationLatency');
}

function headerOf(event: unknown, lowerName: string): unknown {
  for (const map of [field(event, 'multiValueHeaders'), field(event, 'headers')]) {
    if (typeof map !== 'object' || map === null) continue;
    for (const [name, value] of Object.entries(map)) {
      if (name.toLowerCase() !== lowerName) continue;
      return Array.isArray(value) ? value[value.length - 1] : value;
    }
  }
  return undefined;
}
