import { PutItemCommand, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';

/** The condition of a parent record's completion: the whole completed record, put over its owner's claim. */
export const COMPLETION_CONDITION = 'o = :o AND s = :p';

/** Whether a `PutItem` input is a parent record's completion (not a claim, a result item or a step). */
export function isCompletion(input: PutItemCommandInput): boolean {
  return input.ConditionExpression === COMPLETION_CONDITION;
}

/** The inputs of the completions a mocked client was sent, in order. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the stub's input and output types are the client's own
export function completionCalls(ddb: AwsStub<any, any, any>): PutItemCommandInput[] {
  return ddb
    .commandCalls(PutItemCommand)
    .map((call) => call.args[0].input)
    .filter(isCompletion);
}
