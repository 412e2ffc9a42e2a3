import type { TestProject } from 'vitest/node';
import { startDynamoDBLocal } from '../../scripts/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoint of the DynamoDB Local that this test run started. */
    dynamoDBEndpoint: string;
  }
}

/** Starts one DynamoDB Local for the whole run, on a free port, and stops it by its PID afterwards. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const local = await startDynamoDBLocal();
  project.provide('dynamoDBEndpoint', local.endpoint);
  return () => local.stop();
}
