import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/dynamodb-local.ts', 'test/setup/redis-server.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // DynamoDB Local and the CDK synthesis are heavy; two cores do not gain from more workers.
    maxWorkers: 2,
    // Node 20 is what this project supports today; the SDK's reminder about Node 22 is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
