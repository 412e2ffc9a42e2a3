import type { Template } from 'aws-cdk-lib/assertions';

/** One IAM policy statement as synthesized, with `Action` and `Resource` always arrays. */
export interface Statement {
  readonly Effect: string;
  readonly Action: string[];
  readonly Resource: unknown[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of every identity policy (`AWS::IAM::Policy` and role inline policies) in a template. */
export function identityStatements(template: Template): Statement[] {
  const documents: { Statement: RawStatement[] }[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    documents.push(policy.Properties.PolicyDocument);
  }
  for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
    for (const inline of role.Properties.Policies ?? []) documents.push(inline.PolicyDocument);
  }
  return documents.flatMap((document) => document.Statement.map(normalize));
}

/** Statements of the identity policies attached to one role (by its logical id reference). */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId })),
    )
    .flatMap((policy) => (policy.Properties.PolicyDocument.Statement as RawStatement[]).map(normalize));
}

/**
 * What makes a statement broader than retry-safe needs, or `undefined` when there is nothing:
 * wildcard or table-wide read actions, batch or table-management actions, `*` resources, index ARNs.
 */
export function broaderThanNeeded(statement: Statement): string | undefined {
  for (const action of statement.Action) {
    if (action === '*' || /^dynamodb:\*$|^kms:\*$/.test(action)) return `wildcard action ${action}`;
    if (/^dynamodb:(Scan|Query|Batch|PartiQL|ConditionCheckItem|TransactGetItems|TransactWriteItems)/.test(action)) {
      return `data action beyond single items: ${action}`;
    }
    if (/^dynamodb:(Create|Delete(?!Item)|Update(?!Item)|Describe|List|Tag|Untag|Restore|Export|Import)/.test(action)) {
      return `table management action ${action}`;
    }
  }
  for (const resource of statement.Resource) {
    const text = JSON.stringify(resource);
    if (resource === '*') return 'resource *';
    if (text.includes('/index/')) return `index ARN ${text}`;
  }
  return undefined;
}

interface RawStatement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

function normalize(raw: RawStatement): Statement {
  return {
    Effect: raw.Effect,
    Action: Array.isArray(raw.Action) ? raw.Action : [raw.Action],
    Resource: Array.isArray(raw.Resource) ? raw.Resource : [raw.Resource],
    ...(raw.Condition ? { Condition: raw.Condition } : {}),
  };
}
