import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/dynamodb-local.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // DynamoDB Local and the CDK synthesis are heavy; two cores do not gain from more workers.
    maxWorkers: 2,
  },
});
