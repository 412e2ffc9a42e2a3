/**
 * The caller's identity as API Gateway, Function URLs and their authorizers put it in the
 * event: never from headers, which the client controls.
 */

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

/**
 * The default idempotency scope: the verified caller identity, or `undefined` when the event
 * carries none (an open API; keys are then shared by every caller of the operation).
 *
 * In order: a JWT `sub` (HTTP API JWT authorizer, REST Cognito user pool authorizer), with its
 * issuer; a Cognito identity id (IAM auth through an identity pool, which must come before the
 * pool role's ARN, shared by every user); an IAM user or role ARN; a Lambda authorizer's `principalId`.
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
  if (userArn) return `iam:${userArn}`;

  const principalId = text(field(authorizer, 'principalId')) ?? text(field(authorizer, 'lambda', 'principalId'));
  if (principalId) return `authorizer:${principalId}`;

  return undefined;
}
