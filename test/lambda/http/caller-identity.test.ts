import { describe, expect, it } from 'vitest';
import { callerIdentity } from '../../../lambda/http/caller-identity.js';
import { httpV2, restV1 } from './events.js';

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

  it('returns undefined for an unauthenticated request, ignoring identity headers the client sent', () => {
    expect(callerIdentity(restV1({ headers: { 'x-amzn-oidc-identity': 'admin' } }))).toBeUndefined();
    expect(callerIdentity(httpV2({}))).toBeUndefined();
  });
});
