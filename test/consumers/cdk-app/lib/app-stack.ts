// Replaces the stack `cdk init app --language typescript` generated; everything else in the
// project is as generated.
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { IdempotencyTable, IdempotentFunction } from 'retry-safe/cdk';

export class AppStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    const idempotencyTable = new IdempotencyTable(this, 'Idempotency');
    new IdempotentFunction(this, 'Orders', {
      entry: path.join(__dirname, '..', 'lambda', 'handler.ts'),
      idempotencyTable,
    });
  }
}
