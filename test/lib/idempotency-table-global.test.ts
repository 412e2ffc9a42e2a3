import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { IdempotencyTable, type IdempotencyTableProps } from '../../lib/index.js';

const GLOBAL_TABLE = 'AWS::DynamoDB::GlobalTable';
const TABLE = 'AWS::DynamoDB::Table';

function regionalStack(region = 'us-east-1'): Stack {
  return new Stack(new App(), 'TestStack', { env: { account: '123456789012', region } });
}

function globalTable(props: IdempotencyTableProps, stack = regionalStack()): { stack: Stack; table: IdempotencyTable } {
  return { stack, table: new IdempotencyTable(stack, 'Idempotency', props) };
}

const twoReplicas = { replicas: [{ region: 'us-east-2' }, { region: 'us-west-2' }] };

describe('IdempotencyTable with replicas (a global table)', () => {
  describe('with two replicas and no other props', () => {
    const { stack, table } = globalTable(twoReplicas);
    const template = Template.fromStack(stack);

    it('creates one global table with strong consistency across the three regions, and no single-region table', () => {
      // THEN
      template.resourceCountIs(TABLE, 0);
      template.resourceCountIs(GLOBAL_TABLE, 1);
      template.hasResourceProperties(GLOBAL_TABLE, {
        MultiRegionConsistency: 'STRONG',
        Replicas: Match.arrayWith([
          Match.objectLike({ Region: 'us-east-2' }),
          Match.objectLike({ Region: 'us-west-2' }),
          Match.objectLike({ Region: 'us-east-1' }),
        ]),
        GlobalTableWitnesses: Match.absent(),
      });
    });

    it('keeps the table contract: key id, TTL on expiration, on demand', () => {
      template.hasResourceProperties(GLOBAL_TABLE, {
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
        BillingMode: 'PAY_PER_REQUEST',
      });
    });

    it('protects every replica from deletion, with point-in-time recovery, and retains the table', () => {
      const [resource] = Object.values(template.findResources(GLOBAL_TABLE));
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
      const replicas = resource.Properties.Replicas as Array<Record<string, unknown>>;
      expect(replicas).toHaveLength(3);
      for (const replica of replicas) {
        expect(replica).toMatchObject({
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        });
      }
    });

    it('lives under its own construct id, so it never takes over the single-region table\'s resource', () => {
      expect(table.table.node.path).toBe('TestStack/Idempotency/GlobalTable');
      expect(table.table).toBeInstanceOf(dynamodb.TableV2);
    });

    it('warns at synth that it is a new table, pointing to the migration notes', () => {
      Annotations.fromStack(stack).hasWarning('/TestStack/Idempotency', Match.stringLikeRegexp('retained, not migrated.*docs/stores.md'));
    });

    it('grants the same four actions on the global table', () => {
      // GIVEN a fresh stack: the one above is synthesized already
      const { stack, table } = globalTable(twoReplicas);
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      table.grantUse(role);
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
              Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('GlobalTable'), 'Arn'] },
            }),
          ],
        },
      });
    });
  });

  it('takes one replica and a witness region', () => {
    const { stack } = globalTable({ replicas: [{ region: 'us-east-2' }], witnessRegion: 'us-west-2' });
    Template.fromStack(stack).hasResourceProperties(GLOBAL_TABLE, {
      MultiRegionConsistency: 'STRONG',
      GlobalTableWitnesses: [{ Region: 'us-west-2' }],
      Replicas: Match.arrayWith([Match.objectLike({ Region: 'us-east-2' })]),
    });
  });

  it('leaves a table without replicas a single-region AWS::DynamoDB::Table under its old construct id', () => {
    const stack = regionalStack();
    const table = new IdempotencyTable(stack, 'Idempotency');
    Template.fromStack(stack).resourceCountIs(TABLE, 1);
    Template.fromStack(stack).resourceCountIs(GLOBAL_TABLE, 0);
    expect(table.table.node.path).toBe('TestStack/Idempotency/Table');
  });

  it('encrypts each replica with its region\'s key when given one per replica region', () => {
    const stack = regionalStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    globalTable(
      {
        ...twoReplicas,
        encryptionKey: key,
        replicaKeyArns: {
          'us-east-2': 'arn:aws:kms:us-east-2:123456789012:key/a',
          'us-west-2': 'arn:aws:kms:us-west-2:123456789012:key/b',
        },
      },
      stack,
    );
    Template.fromStack(stack).hasResourceProperties(GLOBAL_TABLE, {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: Match.arrayWith([
        Match.objectLike({ Region: 'us-east-2', SSESpecification: { KMSMasterKeyId: 'arn:aws:kms:us-east-2:123456789012:key/a' } }),
      ]),
    });
  });

  describe('refusals at synth', () => {
    it('refuses eventual consistency (MREC), explaining the double execution across regions', () => {
      expect(() => globalTable({ ...twoReplicas, multiRegionConsistency: dynamodb.MultiRegionConsistency.EVENTUAL })).toThrow(
        /EVENTUAL \(MREC\) is refused: each region evaluates a claim against its own copy.*runs twice.*allowDoubleExecutionAcrossRegions/,
      );
    });

    it('allows eventual consistency only with the loudly named opt-out', () => {
      const { stack } = globalTable({
        ...twoReplicas,
        multiRegionConsistency: dynamodb.MultiRegionConsistency.EVENTUAL,
        allowDoubleExecutionAcrossRegions: true,
      });
      const [resource] = Object.values(Template.fromStack(stack).findResources(GLOBAL_TABLE));
      expect(resource.Properties.MultiRegionConsistency ?? 'EVENTUAL').toBe('EVENTUAL');
    });

    it.each([
      ['one replica without a witness', { replicas: [{ region: 'us-east-2' }] }],
      ['three replicas', { replicas: [{ region: 'us-east-2' }, { region: 'us-west-2' }, { region: 'us-west-1' }] }],
      ['two replicas and a witness', { ...twoReplicas, witnessRegion: 'us-west-1' }],
    ])('refuses strong consistency with %s: it takes exactly three regions', (_label, props) => {
      expect(() => globalTable(props)).toThrow(/takes exactly three regions/);
    });

    it('refuses an empty replicas list', () => {
      expect(() => globalTable({ replicas: [] })).toThrow(/replicas is empty/);
    });

    it('refuses a replica in the stack\'s own region, and a region named twice', () => {
      expect(() => globalTable({ replicas: [{ region: 'us-east-1' }, { region: 'us-west-2' }] })).toThrow(/stack's own region us-east-1/);
      expect(() => globalTable({ replicas: [{ region: 'us-west-2' }, { region: 'us-west-2' }] })).toThrow(/names a region twice/);
    });

    it('refuses a witness that also holds a replica', () => {
      expect(() => globalTable({ replicas: [{ region: 'us-east-2' }], witnessRegion: 'us-east-2' })).toThrow(/holds no replica/);
    });

    it('refuses replicas in a stack whose region is unknown at synth', () => {
      const stack = new Stack(new App(), 'Agnostic');
      expect(() => new IdempotencyTable(stack, 'Idempotency', twoReplicas)).toThrow(/env: \{ region/);
    });

    it('refuses a customer-managed key without a key for every replica region', () => {
      const stack = regionalStack();
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      expect(() => globalTable({ ...twoReplicas, encryptionKey: key, replicaKeyArns: { 'us-east-2': 'arn:aws:kms:us-east-2:1:key/a' } }, stack)).toThrow(
        /replicaKeyArns for us-west-2/,
      );
    });

    it.each(['witnessRegion', 'multiRegionConsistency', 'allowDoubleExecutionAcrossRegions'] as const)(
      'refuses %s without replicas',
      (prop) => {
        const value = { witnessRegion: 'us-west-2', multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG, allowDoubleExecutionAcrossRegions: true }[prop];
        expect(() => globalTable({ [prop]: value })).toThrow(new RegExp(`${prop} applies only with replicas`));
      },
    );

    it('keeps the deletion-protection rule: DESTROY needs deletionProtection: false', () => {
      expect(() => globalTable({ ...twoReplicas, removalPolicy: RemovalPolicy.DESTROY })).toThrow(/deletionProtection: false/);
    });
  });
});
