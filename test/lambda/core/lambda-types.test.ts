import middy from '@middy/core';
import type {
  ALBEvent,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  Context,
  LambdaFunctionURLEvent,
} from 'aws-lambda';
import { describe, expectTypeOf, it } from 'vitest';
import type { LambdaContext } from '../../../lambda/core/lambda-types.js';
import { DynamoDBStore, httpIdempotency, idempotency, makeIdempotent, type HttpEvent } from '../../../lambda/index.js';

// These tests are checked by `tsc` (npm test type-checks test/): a failure is a compile error.
describe('the local Lambda and Middy types', () => {
  it('accept a real aws-lambda Context', () => {
    expectTypeOf<Context>().toExtend<LambdaContext>();
  });

  it('accept every HTTP event type from aws-lambda', () => {
    expectTypeOf<APIGatewayProxyEvent>().toExtend<HttpEvent>();
    expectTypeOf<APIGatewayProxyEventV2>().toExtend<HttpEvent>();
    expectTypeOf<LambdaFunctionURLEvent>().toExtend<HttpEvent>();
    expectTypeOf<ALBEvent>().toExtend<HttpEvent>();
  });

  it('let makeIdempotent wrap a handler that declares the real Context, and keep it in the signature', () => {
    const handler = makeIdempotent(async (event: { id: string }, context: Context) => `${event.id}@${context.awsRequestId}`, {
      store: new DynamoDBStore({ tableName: 'unused' }),
      key: (event) => event.id,
    });
    expectTypeOf(handler).parameter(1).toEqualTypeOf<Context>();
  });

  it('are what middy().use() accepts', () => {
    const store = new DynamoDBStore({ tableName: 'unused' });
    const plain = middy(async (event: { id: string }, context: Context) => `${event.id}@${context.functionName}`).use(
      idempotency({ store, key: (event: { id: string }) => event.id }),
    );
    const http = middy(async (_event: APIGatewayProxyEventV2) => ({ statusCode: 201 })).use(
      httpIdempotency<APIGatewayProxyEventV2>({ store, name: 'create' }),
    );
    expectTypeOf(plain).toBeFunction();
    expectTypeOf(http).toBeFunction();
  });
});
