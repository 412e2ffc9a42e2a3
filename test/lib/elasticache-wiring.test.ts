import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';

/** The wiring docs/stores.md shows for ElastiCache Serverless, as written there (inline code instead of an asset). */
function documentedStack(): Stack {
  const stack = new Stack(new App(), 'CacheStack', { env: { account: '123456789012', region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const cacheSecurityGroup = new ec2.SecurityGroup(stack, 'CacheSecurityGroup', { vpc, allowAllOutbound: false });
  const functionSecurityGroup = new ec2.SecurityGroup(stack, 'FunctionSecurityGroup', { vpc });
  cacheSecurityGroup.addIngressRule(functionSecurityGroup, ec2.Port.tcp(6379), 'functions to the idempotency cache');
  const cache = new elasticache.CfnServerlessCache(stack, 'IdempotencyCache', {
    engine: 'valkey',
    serverlessCacheName: 'idempotency',
    subnetIds: vpc.isolatedSubnets.map((subnet) => subnet.subnetId),
    securityGroupIds: [cacheSecurityGroup.securityGroupId],
  });
  const fn = new lambda.Function(stack, 'Charge', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('export const handler = async () => ({});'),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    securityGroups: [functionSecurityGroup],
  });
  fn.addEnvironment('CACHE_URL', `rediss://${cache.attrEndpointAddress}:${cache.attrEndpointPort}`);
  return stack;
}

describe('the ElastiCache Serverless wiring in docs/stores.md', () => {
  const template = Template.fromStack(documentedStack());

  it('puts a Valkey serverless cache in the VPC\'s isolated subnets', () => {
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'valkey',
      SubnetIds: Match.arrayWith([Match.objectLike({ Ref: Match.stringLikeRegexp('isolated') })]),
    });
  });

  it('lets only the function\'s security group reach the cache, on port 6379', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 6379,
      ToPort: 6379,
      IpProtocol: 'tcp',
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('FunctionSecurityGroup'), 'GroupId'] },
    });
  });

  it('runs the function in the VPC and hands it a rediss:// URL of the cache\'s endpoint', () => {
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fn.Properties.VpcConfig.SubnetIds.length).toBe(2);
    const url = JSON.stringify(fn.Properties.Environment.Variables.CACHE_URL);
    expect(url).toContain('rediss://');
    expect(url).toContain('Endpoint.Address');
    expect(url).toContain('Endpoint.Port');
  });
});
