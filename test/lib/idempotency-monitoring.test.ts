import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { emfMetrics } from '../../lambda/ops/emf-metrics.js';
import { OUTCOME_METRICS } from '../../lambda/ops/metric-names.js';
import { IdempotencyMonitoring, IdempotencyTable, TABLE_ACTIONS, TABLE_OPERATIONS, type IdempotencyMonitoringProps } from '../../lib/index.js';

const ALARM = 'AWS::CloudWatch::Alarm';

type Props = Omit<IdempotencyMonitoringProps, 'idempotencyTable'>;

function monitoredStack(props: Partial<Props> = {}, app = new App()) {
  const stack = new Stack(app, 'TestStack');
  const idempotencyTable = new IdempotencyTable(stack, 'Idempotency');
  const monitoring = new IdempotencyMonitoring(stack, 'Monitoring', {
    idempotencyTable,
    namespace: 'Orders',
    operations: ['create-order'],
    ...props,
  });
  return { stack, idempotencyTable, monitoring, template: Template.fromStack(stack) };
}

interface AlarmProperties {
  AlarmDescription: string;
  MetricName?: string;
  Namespace?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Threshold: number;
  Metrics?: { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] } } }[];
  AlarmActions?: unknown[];
  OKActions?: unknown[];
}

function alarmsOf(template: Template): AlarmProperties[] {
  return Object.values(template.findResources(ALARM)).map((alarm) => alarm.Properties as AlarmProperties);
}

function alarmAbout(template: Template, anchor: string): AlarmProperties {
  const found = alarmsOf(template).filter((alarm) => alarm.AlarmDescription.endsWith(`#${anchor}`));
  expect(found).toHaveLength(1);
  return found[0];
}

describe('IdempotencyMonitoring', () => {
  describe('with one operation and the defaults', () => {
    const { template, monitoring, stack, idempotencyTable } = monitoredStack();
    const tableId = stack.getLogicalId(idempotencyTable.table.node.defaultChild as never);

    it('creates four alarms for the operation and two for the table', () => {
      // THEN
      template.resourceCountIs(ALARM, 6);
      expect(monitoring.alarms).toHaveLength(6);
      expect(Object.keys(monitoring.operationAlarms)).toEqual(['create-order']);
    });

    it('alarms on any store error of the operation, read from the EMF metric by namespace and dimensions', () => {
      template.hasResourceProperties(ALARM, {
        Namespace: 'Orders',
        MetricName: 'StoreError',
        Dimensions: [{ Name: 'Operation', Value: 'create-order' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    });

    it('alarms on any lost completion of the operation', () => {
      template.hasResourceProperties(ALARM, {
        Namespace: 'Orders',
        MetricName: 'CompletionLost',
        Dimensions: [{ Name: 'Operation', Value: 'create-order' }],
        Threshold: 1,
        TreatMissingData: 'notBreaching',
      });
    });

    it('alarms on the mismatch rate with metric math over every outcome, judged from 20 calls', () => {
      const alarm = alarmAbout(template, 'mismatchrate');
      expect(alarm.Threshold).toBe(5);
      const expression = alarm.Metrics?.find((m) => m.Expression)?.Expression ?? '';
      expect(expression).toMatch(/^IF\(\(.+\) >= 20, 100 \* FILL\(mismatch, 0\) \/ \(.+\), 0\)$/);
      const counted = (alarm.Metrics ?? []).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : []));
      expect(counted.sort()).toEqual(Object.values(OUTCOME_METRICS).sort());
      for (const metric of alarm.Metrics ?? []) {
        if (metric.MetricStat) expect(expression).toContain(`FILL(${metric.Id}, 0)`);
      }
    });

    it('alarms on the in-progress rate above 10 percent', () => {
      const alarm = alarmAbout(template, 'inprogressrate');
      expect(alarm.Threshold).toBe(10);
      expect(alarm.Metrics?.find((m) => m.Expression)?.Expression).toContain('100 * FILL(inProgress, 0)');
    });

    it('alarms on throttled requests and system errors of the four operations the runtime performs on the table', () => {
      for (const anchor of ['table-throttles', 'table-system-errors']) {
        const alarm = alarmAbout(template, anchor);
        const operations = (alarm.Metrics ?? []).flatMap((m) =>
          m.MetricStat ? [JSON.stringify(m.MetricStat.Metric.Dimensions)] : [],
        );
        expect(operations.sort()).toEqual(
          ['DeleteItem', 'GetItem', 'PutItem', 'UpdateItem'].map((op) =>
            JSON.stringify([
              { Name: 'Operation', Value: op },
              { Name: 'TableName', Value: { Ref: tableId } },
            ]),
          ),
        );
      }
    });

    it('points every alarm at its runbook section and takes no action by default', () => {
      for (const alarm of alarmsOf(template)) {
        expect(alarm.AlarmDescription).toMatch(/Runbook: retry-safe's docs\/operations\.md, section #[a-z-]+$/);
        expect(alarm.AlarmActions).toBeUndefined();
      }
    });

    it('builds a dashboard with outcomes per operation, table latency and consumed capacity', () => {
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
      for (const metric of Object.values(OUTCOME_METRICS)) expect(body).toContain(`\\"${metric}\\"`);
      for (const text of ['create-order: outcomes', 'SuccessfulRequestLatency', 'ConsumedReadCapacityUnits', 'ConsumedWriteCapacityUnits', '\\"type\\":\\"alarm\\"']) {
        expect(body).toContain(text);
      }
    });
  });

  it('reads the metrics an emfMetrics() line declares: same namespace, dimensions and names', () => {
    // GIVEN a handler's EMF line, with an extra dimension
    const lines: string[] = [];
    emfMetrics({ namespace: 'Payments', dimensions: { Service: 'billing' }, write: (l) => lines.push(l) })({
      outcome: 'store_error',
      name: 'charge',
      durationMs: 3,
    });
    const line = JSON.parse(lines[0]) as { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } } & Record<string, unknown>;
    const [directive] = line._aws.CloudWatchMetrics;
    // WHEN the monitoring is configured as the handler is
    const { template } = monitoredStack({ namespace: 'Payments', dimensions: { Service: 'billing' }, operations: ['charge'] });
    // THEN the store error alarm reads exactly that metric
    const alarm = alarmAbout(template, 'storeerror');
    expect(alarm.Namespace).toBe(directive.Namespace);
    expect(directive.Metrics.map((m) => m.Name)).toContain(alarm.MetricName);
    expect(Object.fromEntries((alarm.Dimensions ?? []).map((d) => [d.Name, d.Value]))).toEqual(
      Object.fromEntries(directive.Dimensions[0].map((name) => [name, line[name]])),
    );
  });

  it('watches on the table exactly the operations the runtime is granted', () => {
    expect(TABLE_OPERATIONS.map((operation) => `dynamodb:${operation}`)).toEqual(TABLE_ACTIONS);
  });

  it('creates the alarms of every operation, under construct ids named for it', () => {
    // GIVEN / WHEN
    const { template, monitoring } = monitoredStack({ operations: ['create-order', 'refund/v2'] });
    // THEN
    template.resourceCountIs(ALARM, 10);
    expect(monitoring.node.tryFindChild('Operation-create-order')).toBeDefined();
    expect(monitoring.node.tryFindChild('Operation-refund_v2')).toBeDefined();
    template.hasResourceProperties(ALARM, { MetricName: 'CompletionLost', Dimensions: [{ Name: 'Operation', Value: 'refund/v2' }] });
  });

  it('notifies a topic on alarm and on return to OK', () => {
    // GIVEN
    const app = new App();
    const stack = new Stack(app, 'WithTopic');
    const topic = new sns.Topic(stack, 'OnCall');
    // WHEN
    new IdempotencyMonitoring(stack, 'Monitoring', {
      idempotencyTable: new IdempotencyTable(stack, 'Idempotency'),
      namespace: 'Orders',
      operations: ['create-order'],
      alarmTopic: topic,
    });
    // THEN
    const topicRef = { Ref: stack.getLogicalId(topic.node.defaultChild as never) };
    for (const alarm of alarmsOf(Template.fromStack(stack))) {
      expect(alarm.AlarmActions).toEqual([topicRef]);
      expect(alarm.OKActions).toEqual([topicRef]);
    }
  });

  it('takes thresholds, period and minimum calls from props', () => {
    const { template } = monitoredStack({
      period: Duration.minutes(1),
      storeErrorThreshold: 3,
      mismatchRatePercent: 1,
      minimumCallsForRates: 100,
      throttleThreshold: 50,
    });
    template.hasResourceProperties(ALARM, { MetricName: 'StoreError', Threshold: 3, Period: 60 });
    const mismatch = alarmAbout(template, 'mismatchrate');
    expect(mismatch.Threshold).toBe(1);
    expect(mismatch.Metrics?.find((m) => m.Expression)?.Expression).toContain('>= 100,');
    expect(alarmAbout(template, 'table-throttles').Threshold).toBe(50);
  });

  it('leaves the dashboard out on request', () => {
    const { template, monitoring } = monitoredStack({ dashboard: false });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(monitoring.dashboard).toBeUndefined();
  });

  it('passes the AwsSolutions checks', () => {
    // GIVEN a stack with a table and its monitoring, checked as the example app is
    const outdir = mkdtempSync(join(tmpdir(), 'monitoring-nag-'));
    try {
      const app = new App({ outdir });
      const stack = new Stack(app, 'Nag');
      new IdempotencyMonitoring(stack, 'Monitoring', {
        idempotencyTable: new IdempotencyTable(stack, 'Idempotency', { removalPolicy: RemovalPolicy.RETAIN }),
        namespace: 'Orders',
        operations: ['create-order'],
      });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      // WHEN
      app.synth();
      // THEN
      const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: { violations: { ruleName: string }[] }[];
      };
      expect(report.pluginReports.flatMap((p) => p.violations.map((v) => v.ruleName))).toEqual([]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  describe('rejects bad props when constructed', () => {
    it.each<[string, Partial<Props>, RegExp]>([
      ['an empty namespace', { namespace: '' }, /namespace must be 1 to 255 characters/],
      ['no operations', { operations: [] }, /operations is empty/],
      ['an empty operation name', { operations: [''] }, /empty name/],
      ['an operation listed twice', { operations: ['a', 'a'] }, /listed twice/],
      ['names that collide as construct ids', { operations: ['a/b', 'a.b'] }, /differ only in punctuation/],
      ['an Operation dimension', { dimensions: { Operation: 'x' } }, /may not set Operation/],
      ['a rate of 100 percent or more', { mismatchRatePercent: 100 }, /mismatchRatePercent must be a percentage/],
      ['a threshold of zero', { storeErrorThreshold: 0 }, /storeErrorThreshold must be a whole number/],
    ])('fails on %s', (_case, props, message) => {
      expect(() => monitoredStack(props)).toThrow(message);
    });
  });

  it('reads as a match for Match-based users too: the dashboard name is passed through', () => {
    const { template } = monitoredStack({ dashboardName: 'orders-idempotency' });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'orders-idempotency', DashboardBody: Match.anyValue() });
  });
});
