import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IdempotencyTable,
  IdempotentFunction,
  IdempotentQueueConsumer,
  type IdempotentQueueConsumerProps,
} from '../../lib/index.js';

const ENTRY = fileURLToPath(new URL('./fixtures/batch-handler.ts', import.meta.url));
const QUEUE = 'AWS::SQS::Queue';
const MAPPING = 'AWS::Lambda::EventSourceMapping';
// Bundling is covered by the IdempotentFunction tests; these assert on the template only.
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

interface ValidationReport {
  pluginReports: { violations: { ruleName: string }[] }[];
}

/** A stack with an idempotency table, for one consumer built by `build`. */
function stackWith(build: (stack: Stack, props: IdempotentQueueConsumerProps) => void, outdir?: string) {
  const app = new App({ outdir, context: NO_BUNDLING });
  const stack = new Stack(app, 'Consumers');
  const idempotencyTable = new IdempotencyTable(stack, 'Idempotency');
  build(stack, { entry: ENTRY, idempotencyTable, timeout: Duration.seconds(10) });
  return { app, stack };
}

describe('IdempotentQueueConsumer with the queues it creates', () => {
  let outdir: string;
  let stack: Stack;
  let consumer: IdempotentQueueConsumer;
  let template: Template;
  let synthError: unknown;

  beforeAll(() => {
    // GIVEN
    outdir = mkdtempSync(join(tmpdir(), 'retry-safe-consumer-'));
    const built = stackWith((s, props) => {
      // A role and log group of its own, as the example stack gives its function: the default
      // role's managed policy is IdempotentFunction's concern, not the consumer's.
      const logGroup = new logs.LogGroup(s, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
      const role = new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      logGroup.grantWrite(role);
      // WHEN
      consumer = new IdempotentQueueConsumer(s, 'Fulfilment', { ...props, role, logGroup });
    }, outdir);
    stack = built.stack;
    Validations.of(built.app).addPlugins(new AwsSolutionsChecks(built.app));
    try {
      built.app.synth();
    } catch (error) {
      synthError = error;
    }
    template = Template.fromStack(stack);
  }, 120_000);

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  const idOf = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);

  it('feeds the function from the queue with partial batch responses on', () => {
    // THEN
    template.resourceCountIs(MAPPING, 1);
    template.hasResourceProperties(MAPPING, {
      FunctionName: { Ref: idOf(consumer.function) },
      EventSourceArn: { 'Fn::GetAtt': [idOf(consumer.queue as sqs.Queue), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
  });

  it('sets the visibility timeout to six times the function timeout and sends a message to the dead-letter queue after 5 receives', () => {
    template.hasResourceProperties(QUEUE, {
      VisibilityTimeout: 60,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [idOf(consumer.deadLetterQueue as sqs.Queue), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
  });

  it('keeps dead letters for 14 days, the longest SQS allows', () => {
    template.hasResourceProperties(QUEUE, { MessageRetentionPeriod: 1_209_600, RedrivePolicy: Match.absent() });
  });

  it('encrypts both queues and allows only SSL requests to either', () => {
    template.resourcePropertiesCountIs(QUEUE, { SqsManagedSseEnabled: true }, 2);
    for (const queue of [consumer.queue, consumer.deadLetterQueue] as sqs.Queue[]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: idOf(queue) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('passes the AwsSolutions checks: the queues, their policies and the grants add no finding', () => {
    expect(synthError).toBeUndefined();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
    expect(report.pluginReports.flatMap((p) => p.violations.map((v) => v.ruleName))).toEqual([]);
  });

  it('keeps its construct ids, which name the deployed resources', () => {
    const construct = stack.node.findChild('Fulfilment');
    expect(construct.node.findChild('Function')).toBeInstanceOf(IdempotentFunction);
    expect(construct.node.findChild('Queue')).toBe(consumer.queue);
    expect(construct.node.findChild('DeadLetterQueue')).toBe(consumer.deadLetterQueue);
  });
});

describe('IdempotentQueueConsumer options', () => {
  it('adds the batching window to the visibility timeout, and passes the batch settings on', () => {
    // GIVEN / WHEN
    const { stack } = stackWith((s, props) => {
      new IdempotentQueueConsumer(s, 'Consumer', {
        ...props,
        maxReceiveCount: 3,
        batchSize: 25,
        maxBatchingWindow: Duration.seconds(5),
        maxConcurrency: 4,
      });
    });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties(QUEUE, { VisibilityTimeout: 65, RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }) });
    template.hasResourceProperties(MAPPING, {
      BatchSize: 25,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 4 },
    });
  });

  it('makes a FIFO dead-letter queue for a FIFO queue', () => {
    const { stack } = stackWith((s, props) => {
      new IdempotentQueueConsumer(s, 'Consumer', { ...props, queueProps: { fifo: true } });
    });
    Template.fromStack(stack).resourcePropertiesCountIs(QUEUE, { FifoQueue: true }, 2);
  });

  it('consumes a given queue whose visibility timeout is long enough, exposing its dead-letter queue', () => {
    let consumer!: IdempotentQueueConsumer;
    let deadLetters!: sqs.Queue;
    const { app, stack } = stackWith((s, props) => {
      deadLetters = new sqs.Queue(s, 'Dlq', { enforceSSL: true });
      const queue = new sqs.Queue(s, 'Orders', {
        visibilityTimeout: Duration.seconds(60),
        deadLetterQueue: { queue: deadLetters, maxReceiveCount: 4 },
      });
      consumer = new IdempotentQueueConsumer(s, 'Consumer', { ...props, queue });
    });

    expect(() => app.synth()).not.toThrow();
    expect(consumer.deadLetterQueue).toBe(deadLetters);
    Template.fromStack(stack).hasResourceProperties(MAPPING, { FunctionResponseTypes: ['ReportBatchItemFailures'] });
  });

  it("fails synthesis when a given queue's visibility timeout is under six times the function timeout, naming both", () => {
    // GIVEN a queue left at SQS's default 30 s for a 10 s function
    const { app } = stackWith((s, props) => {
      new IdempotentQueueConsumer(s, 'Consumer', { ...props, queue: new sqs.Queue(s, 'Orders') });
    });
    // WHEN / THEN
    expect(() => app.synth()).toThrow(/visibility timeout is 30 s; it must be at least 60 s/);
  });

  it('checks the visibility timeout at synthesis, so a later change to the queue counts', () => {
    const { app } = stackWith((s, props) => {
      const queue = new sqs.Queue(s, 'Orders', { visibilityTimeout: Duration.seconds(60) });
      new IdempotentQueueConsumer(s, 'Consumer', { ...props, queue });
      (queue.node.defaultChild as sqs.CfnQueue).visibilityTimeout = 20;
    });
    expect(() => app.synth()).toThrow(/visibility timeout is 20 s/);
  });

  it('warns when a given queue has no dead-letter queue, or cannot be checked', () => {
    const { stack } = stackWith((s, props) => {
      new IdempotentQueueConsumer(s, 'Own', { ...props, queue: new sqs.Queue(s, 'Orders', { visibilityTimeout: Duration.minutes(1) }) });
      const imported = sqs.Queue.fromQueueArn(s, 'Imported', 'arn:aws:sqs:us-east-1:123456789012:orders');
      new IdempotentQueueConsumer(s, 'Imported Consumer', { ...props, queue: imported });
    });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
    expect(warnings.some((w) => w.includes('no dead-letter queue'))).toBe(true);
    expect(warnings.some((w) => w.includes('cannot be checked: make it at least 60 s'))).toBe(true);
  });

  it.each<[string, Partial<IdempotentQueueConsumerProps>, RegExp]>([
    ['a visibility timeout too short for the function', { queueProps: { visibilityTimeout: Duration.seconds(59) } }, /queueProps.visibilityTimeout is 59 s; it must be at least 60 s/],
    ['an unencrypted queue', { queueProps: { encryption: sqs.QueueEncryption.UNENCRYPTED } }, /queueProps.encryption cannot be UNENCRYPTED/],
    ['maxReceiveCount 0', { maxReceiveCount: 0 }, /maxReceiveCount must be an integer from 1 to 1000, got 0/],
  ])('rejects %s at construction, naming the prop', (_, extra, message) => {
    expect(() => stackWith((s, props) => new IdempotentQueueConsumer(s, 'Consumer', { ...props, ...extra }))).toThrow(message);
  });

  it('rejects queueProps together with a given queue', () => {
    expect(() =>
      stackWith((s, props) => {
        new IdempotentQueueConsumer(s, 'Consumer', { ...props, queue: new sqs.Queue(s, 'Orders'), queueProps: { fifo: true } });
      }),
    ).toThrow(/queueProps and maxReceiveCount shape the created queue/);
  });
});
