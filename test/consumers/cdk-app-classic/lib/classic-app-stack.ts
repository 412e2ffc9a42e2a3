import * as path from 'path';
import * as cdk from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { IdempotencyTable, IdempotentFunction } from 'retry-safe/cdk';

export class ClassicAppStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    const idempotencyTable = new IdempotencyTable(this, 'Idempotency');
    new IdempotentFunction(this, 'Orders', {
      entry: path.join(__dirname, '..', 'lambda', 'handler.ts'),
      idempotencyTable,
    });
  }
}
