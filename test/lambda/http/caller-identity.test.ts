import { describe, expect, it } from 'vitest';
import { IdempotencyError } from '../../../lambda/index.js';
import { callerIdentity, defaultScope, iamCaller } from '../../../lambda/http/caller-identity.js';
import { albSingle, httpV2, restV1 } from './events.js';

describe('callerIdentity', () => {
  it('reads the JWT sub (with its issuer) of an HTTP API JWT authorizer', () => {
    const event = httpV2({ authorizer: { jwt: { claims: { sub: 'u-1', iss: 'https://issuer' }, scopes: [] } } });
    expect(callerIdentity(event)).toBe('jwt:https://issuer u-1');
  });

  it('reads the sub of a REST Cognito user pool authorizer', () => {
    expect(callerIdentity(restV1({ authorizer: { claims: { sub: 'u-1' } } }))).toBe('jwt: u-1');
  });

  it('prefers the Cognito identity id to the identity pool role ARN every user shares', () => {
    const event = restV1({
      identity: { cognitoIdentityId: 'us-east-1:abc', userArn: 'arn:aws:sts::1:assumed-role/pool-role/s' },
    });
    expect(callerIdentity(event)).toBe('cognito:us-east-1:abc');
  });

  it('reads the IAM ARN of an HTTP API or Function URL with IAM auth', () => {
    expect(callerIdentity(httpV2({ authorizer: { iam: { userArn: 'arn:aws:iam::1:user/ana' } } }))).toBe(
      'iam:arn:aws:iam::1:user/ana',
    );
  });

  it('reads a Lambda authorizer principalId', () => {
    expect(callerIdentity(restV1({ authorizer: { principalId: 'client-7' } }))).toBe('authorizer:client-7');
  });

  it('keeps kinds apart: a principalId equal to a JWT sub is another scope', () => {
    const jwt = callerIdentity(httpV2({ authorizer: { jwt: { claims: { sub: 'x' } } } }));
    const principal = callerIdentity(restV1({ authorizer: { principalId: 'x' } }));
    expect(jwt).not.toBe(principal);
  });

  it('reads an assumed role by its role: the session name changes when credentials are refreshed', () => {
    expect(iamCaller('arn:aws:sts::1:assumed-role/writer/session-a')).toBe('arn:aws:sts::1:assumed-role/writer');
    expect(iamCaller('arn:aws-cn:sts::1:assumed-role/writer/a@example.com')).toBe('arn:aws-cn:sts::1:assumed-role/writer');
    expect(iamCaller('arn:aws:iam::1:user/ana')).toBe('arn:aws:iam::1:user/ana');
    const as = (session: string) => callerIdentity(restV1({ identity: { userArn: `arn:aws:sts::1:assumed-role/writer/${session}` } }));
    expect(as('one')).toBe(as('two'));
  });

  it('reads the ALB OIDC identity only on an ALB event', () => {
    expect(callerIdentity(albSingle({ headers: { 'X-Amzn-Oidc-Identity': 'u-9' } }))).toBe('oidc:u-9');
    expect(callerIdentity(httpV2({ headers: { 'x-amzn-oidc-identity': 'u-9' } }))).toBeUndefined();
  });

  it('reads a REST API key id', () => {
    expect(callerIdentity(restV1({ identity: { apiKeyId: 'k1' } }))).toBe('api-key:k1');
  });

  it('refuses by default an authorizer output that names no caller, and lets an unauthenticated request through', () => {
    expect(() => defaultScope(httpV2({ authorizer: { lambda: { plan: 'pro' } } }))).toThrow(IdempotencyError);
    expect(() => defaultScope(restV1({ authorizer: { integrationLatency: 3 } }))).not.toThrow();
    expect(defaultScope(httpV2({}))).toBeUndefined();
  });

  it('returns undefined for an unauthenticated request, ignoring identity headers the client sent', () => {
    expect(callerIdentity(restV1({ headers: { 'x-amzn-oidc-identity': 'admin' } }))).toBeUndefined();
    expect(callerIdentity(httpV2({}))).toBeUndefined();
  });
});
