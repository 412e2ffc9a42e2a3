import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../../lambda/core/table-schema.js';
import { IdempotencyTable, type IdempotencyTableProps } from '../../lib/index.js';
import { broaderThanNeeded, identityStatements, statementsOfRole, type Statement } from './policy-statements.js';

const TABLE = 'AWS::DynamoDB::Table';
const TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

function tableStack(props?: IdempotencyTableProps): { stack: Stack; table: IdempotencyTable } {
  const stack = new Stack(new App(), 'TestStack');
  return { stack, table: new IdempotencyTable(stack, 'Idempotency', props) };
}

function withRole(stack: Stack): iam.Role {
  return new iam.Role(stack, 'FunctionRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

const tableArn = (stack: Stack, table: IdempotencyTable) => ({
  'Fn::GetAtt': [stack.getLogicalId(table.table.node.defaultChild as never), 'Arn'],
});

describe('IdempotencyTable', () => {
  describe('with no props', () => {
    const { stack } = tableStack();
    const template = Template.fromStack(stack);

    it('creates exactly one table keyed by the string attribute the runtime writes', () => {
      // THEN
      template.resourceCountIs(TABLE, 1);
      template.hasResourceProperties(TABLE, {
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      });
      expect(PARTITION_KEY).toBe('id');
    });

    it('expires records with TTL on the expiration attribute', () => {
      template.hasResourceProperties(TABLE, {
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      });
      expect(TTL_ATTRIBUTE).toBe('expiration');
    });

    it('bills on demand, with no provisioned throughput', () => {
      template.hasResourceProperties(TABLE, {
        BillingMode: 'PAY_PER_REQUEST',
        ProvisionedThroughput: Match.absent(),
      });
    });

    it('turns point-in-time recovery on', () => {
      template.hasResourceProperties(TABLE, {
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('protects the table from deletion and retains it when removed from the stack', () => {
      template.hasResource(TABLE, {
        Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    it('encrypts with the AWS-managed key for DynamoDB', () => {
      // SSEEnabled without a key id or type is CloudFormation's spelling of the `aws/dynamodb` key.
      template.hasResourceProperties(TABLE, {
        SSESpecification: { SSEEnabled: true, SSEType: Match.absent(), KMSMasterKeyId: Match.absent() },
      });
      template.resourceCountIs('AWS::KMS::Key', 0);
    });

    it('leaves contributor insights off, and adds no name, indexes or stream', () => {
      template.hasResourceProperties(TABLE, {
        ContributorInsightsSpecification: { Enabled: false },
        TableName: Match.absent(),
        GlobalSecondaryIndexes: Match.absent(),
        LocalSecondaryIndexes: Match.absent(),
        StreamSpecification: Match.absent(),
      });
    });
  });

  it('keeps its construct ids: renaming one would replace the table in users\' accounts', () => {
    const { table } = tableStack();
    expect(table.table.node.path).toBe('TestStack/Idempotency/Table');
  });

  describe('overrides', () => {
    it('turns point-in-time recovery off when asked', () => {
      // GIVEN / WHEN
      const { stack } = tableStack({ pointInTimeRecovery: false });
      // THEN
      Template.fromStack(stack).hasResourceProperties(TABLE, {
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      });
    });

    it('deletes the table with the stack when deletion protection is off and the policy is DESTROY', () => {
      const { stack } = tableStack({ removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false });
      Template.fromStack(stack).hasResource(TABLE, {
        Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
        DeletionPolicy: 'Delete',
        UpdateReplacePolicy: 'Delete',
      });
    });

    it('keeps deletion protection off while retaining the table', () => {
      const { stack } = tableStack({ deletionProtection: false });
      Template.fromStack(stack).hasResource(TABLE, {
        Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
        DeletionPolicy: 'Retain',
      });
    });

    it('uses the given table name', () => {
      const { stack } = tableStack({ tableName: 'orders-idempotency' });
      Template.fromStack(stack).hasResourceProperties(TABLE, { TableName: 'orders-idempotency' });
    });

    it('turns contributor insights on when asked', () => {
      const { stack } = tableStack({ contributorInsights: true });
      Template.fromStack(stack).hasResourceProperties(TABLE, { ContributorInsightsSpecification: { Enabled: true } });
    });

    it('encrypts with the given customer-managed key', () => {
      // GIVEN
      const stack = new Stack(new App(), 'TestStack');
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      // WHEN
      new IdempotencyTable(stack, 'Idempotency', { encryptionKey: key });
      // THEN
      Template.fromStack(stack).hasResourceProperties(TABLE, {
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [logicalId(stack, key), 'Arn'] },
        },
      });
    });

    it('rejects RemovalPolicy.DESTROY while deletion protection is on, naming both props', () => {
      expect(() => tableStack({ removalPolicy: RemovalPolicy.DESTROY })).toThrow(
        /removalPolicy destroy needs deletionProtection: false/,
      );
    });

    it('rejects RemovalPolicy.SNAPSHOT while deletion protection is on', () => {
      expect(() => tableStack({ removalPolicy: RemovalPolicy.SNAPSHOT, deletionProtection: true })).toThrow(
        /deletionProtection: false/,
      );
    });

    it.each(['ab', 'has space', 'semi;colon', 'x'.repeat(256)])('rejects the invalid table name %j', (tableName) => {
      expect(() => tableStack({ tableName })).toThrow(/tableName .* is invalid/);
    });
  });

  describe('grantUse', () => {
    it('grants exactly GetItem, PutItem, UpdateItem and DeleteItem on the table ARN, and nothing else', () => {
      // GIVEN
      const { stack, table } = tableStack();
      const role = withRole(stack);
      // WHEN
      const grant = table.grantUse(role);
      // THEN
      expect(grant.success).toBe(true);
      const statements = statementsOfRole(Template.fromStack(stack), logicalId(stack, role));
      expect(statements).toEqual<Statement[]>([
        { Effect: 'Allow', Action: TABLE_ACTIONS, Resource: [tableArn(stack, table)] },
      ]);
    });

    it('grants nothing broader than needed: no wildcards, scans, queries, batches, table management or indexes', () => {
      const { stack, table } = tableStack();
      table.grantUse(withRole(stack));
      const statements = identityStatements(Template.fromStack(stack));
      expect(statements.length).toBeGreaterThan(0);
      expect(statements.map(broaderThanNeeded).filter(Boolean)).toEqual([]);
    });

    it('grants kms:Decrypt on a customer-managed key only through DynamoDB, in the principal policy', () => {
      // GIVEN
      const stack = new Stack(new App(), 'TestStack');
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      const table = new IdempotencyTable(stack, 'Idempotency', { encryptionKey: key });
      const role = withRole(stack);
      // WHEN
      table.grantUse(role);
      // THEN
      const template = Template.fromStack(stack);
      expect(statementsOfRole(template, logicalId(stack, role))).toEqual<Statement[]>([
        { Effect: 'Allow', Action: TABLE_ACTIONS, Resource: [tableArn(stack, table)] },
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: [{ 'Fn::GetAtt': [logicalId(stack, key), 'Arn'] }],
          Condition: {
            StringEquals: {
              'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
            },
          },
        },
      ]);
    });

    it('leaves the key policy untouched: the grant lives in the principal policy', () => {
      const stack = new Stack(new App(), 'TestStack');
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      new IdempotencyTable(stack, 'Idempotency', { encryptionKey: key }).grantUse(withRole(stack));
      const [keyResource] = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key'));
      const keyStatements = keyResource.Properties.KeyPolicy.Statement as { Principal: unknown }[];
      expect(keyStatements).toHaveLength(1);
      expect(JSON.stringify(keyStatements[0].Principal)).toContain(':root');
    });

    it('grants no KMS action that encrypts, generates keys or creates grants', () => {
      const stack = new Stack(new App(), 'TestStack');
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      new IdempotencyTable(stack, 'Idempotency', { encryptionKey: key }).grantUse(withRole(stack));
      const kmsActions = identityStatements(Template.fromStack(stack))
        .flatMap((statement) => statement.Action)
        .filter((action) => action.startsWith('kms:'));
      expect(kmsActions).toEqual(['kms:Decrypt']);
    });
  });

  describe('useBy', () => {
    function functionStack(encryptionKey?: boolean) {
      const stack = new Stack(new App(), 'TestStack');
      const key = encryptionKey ? new kms.Key(stack, 'Key', { enableKeyRotation: true }) : undefined;
      const table = new IdempotencyTable(stack, 'Idempotency', { encryptionKey: key });
      const fn = new lambda.Function(stack, 'Handler', {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('export const handler = async () => ({});'),
      });
      table.useBy(fn);
      return { stack, table, fn };
    }

    it('sets IDEMPOTENCY_TABLE_NAME to the table name', () => {
      // GIVEN / WHEN
      const { stack, table } = functionStack();
      // THEN
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { IDEMPOTENCY_TABLE_NAME: { Ref: logicalId(stack, table.table) } } },
      });
    });

    it("grants the function's role the same least-privilege statements as grantUse", () => {
      const { stack, table, fn } = functionStack(true);
      const statements = statementsOfRole(Template.fromStack(stack), logicalId(stack, fn.role as iam.Role));
      expect(statements.map((statement) => statement.Action)).toEqual([TABLE_ACTIONS, ['kms:Decrypt']]);
      expect(statements[0].Resource).toEqual([tableArn(stack, table)]);
    });
  });
});
