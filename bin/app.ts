#!/usr/bin/env node
// The example app: `npx cdk synth` (offline, no account needed) or `npm run deploy`.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ExampleStack } from '../lib/example-stack.js';

const app = new App();
new ExampleStack(app, 'RetrySafeExample', {
  description: 'retry-safe example: an HTTP API made safe to retry with DynamoDB-backed idempotency',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
