import { existsSync, readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RUNTIME, IdempotencyTable, IdempotentFunction, type IdempotentFunctionProps } from '../../lib/index.js';

const FIXTURE_ENTRY = fileURLToPath(new URL('./fixtures/handler.ts', import.meta.url));
const FUNCTION = 'AWS::Lambda::Function';

describe('IdempotentFunction', () => {
  // Bundling really runs (local esbuild, no Docker): two functions, synthesized once for the file.
  let outdir: string;
  let stack: Stack;
  let template: Template;
  let tableRef: { Ref: string };
  let defaultFunction: IdempotentFunction;
  let overriddenFunction: IdempotentFunction;

  beforeAll(() => {
    // GIVEN
    outdir = mkdtempSync(join(tmpdir(), 'retry-safe-cdk-'));
    const app = new App({ outdir });
    stack = new Stack(app, 'TestStack');
    const idempotencyTable = new IdempotencyTable(stack, 'Idempotency');
    tableRef = { Ref: stack.getLogicalId(idempotencyTable.table.node.defaultChild as never) };
    // WHEN
    defaultFunction = new IdempotentFunction(stack, 'Default', { entry: FIXTURE_ENTRY, idempotencyTable });
    overriddenFunction = new IdempotentFunction(stack, 'Overridden', {
      entry: FIXTURE_ENTRY,
      idempotencyTable,
      runtime: lambda.Runtime.NODEJS_22_X,
      memorySize: 512,
      bundling: { format: nodejs.OutputFormat.CJS, sourceMap: false, minify: false },
      environment: { NODE_OPTIONS: '--max-old-space-size=256', GREETING: 'hello' },
    });
    app.synth();
    template = Template.fromStack(stack);
  }, 120_000);

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  function functionId(fn: IdempotentFunction): string {
    return stack.getLogicalId(fn.node.defaultChild as never);
  }

  /** The directory of a function's bundled code asset in the cloud assembly. */
  function bundleDirectory(fn: IdempotentFunction): string {
    const resource = template.toJSON().Resources[functionId(fn)];
    const assetHash = String(resource.Properties.Code.S3Key).replace(/\.zip$/, '');
    return join(outdir, `asset.${assetHash}`);
  }

  describe('by default', () => {
    it('runs on the newest Node.js runtime the installed aws-cdk-lib knows', () => {
      // THEN
      const nodeVersions = lambda.Runtime.ALL.filter((runtime) => runtime.family === lambda.RuntimeFamily.NODEJS)
        .map((runtime) => /^nodejs(\d+)\.x$/.exec(runtime.name)?.[1])
        .filter((version): version is string => version !== undefined)
        .map(Number);
      expect(DEFAULT_RUNTIME.name).toBe(`nodejs${Math.max(...nodeVersions)}.x`);
      template.hasResourceProperties(FUNCTION, {
        FunctionName: Match.absent(),
        Runtime: DEFAULT_RUNTIME.name,
        Handler: 'index.handler',
      });
      expect(template.toJSON().Resources[functionId(defaultFunction)].Properties.Runtime).toBe('nodejs24.x');
    });

    it('sets IDEMPOTENCY_TABLE_NAME and turns source maps on in Node', () => {
      expect(template.toJSON().Resources[functionId(defaultFunction)].Properties.Environment).toEqual({
        Variables: { IDEMPOTENCY_TABLE_NAME: tableRef, NODE_OPTIONS: '--enable-source-maps' },
      });
    });

    it('bundles an ESM module with a source map', () => {
      const directory = bundleDirectory(defaultFunction);
      expect(existsSync(join(directory, 'index.mjs'))).toBe(true);
      expect(existsSync(join(directory, 'index.mjs.map'))).toBe(true);
      const code = readFileSync(join(directory, 'index.mjs'), 'utf8');
      expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}/);
      expect(code).toContain('createRequire(import.meta.url)');
    });

    it('leaves the AWS SDK external: imported from the runtime, not bundled', () => {
      const code = readFileSync(join(bundleDirectory(defaultFunction), 'index.mjs'), 'utf8');
      expect(code).toMatch(/from\s*"@aws-sdk\/client-dynamodb"/);
      // The SDK client alone is several hundred kilobytes; the handler and retry-safe are far less.
      expect(code.length).toBeLessThan(150_000);
    });

    it("grants the function's role least-privilege use of the table", () => {
      const roleId = stack.getLogicalId(defaultFunction.role!.node.defaultChild as never);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: roleId }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
              Resource: { 'Fn::GetAtt': [tableRef.Ref, 'Arn'] },
            },
          ],
        },
      });
    });
  });

  describe('with every default overridden', () => {
    it('uses the given runtime and other function props', () => {
      expect(template.toJSON().Resources[functionId(overriddenFunction)].Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        MemorySize: 512,
      });
    });

    it('merges the environment: the caller wins, the table name stays', () => {
      expect(template.toJSON().Resources[functionId(overriddenFunction)].Properties.Environment).toEqual({
        Variables: { IDEMPOTENCY_TABLE_NAME: tableRef, NODE_OPTIONS: '--max-old-space-size=256', GREETING: 'hello' },
      });
    });

    it('bundles with the given bundling options: CommonJS without the ESM require shim, no source map', () => {
      const directory = bundleDirectory(overriddenFunction);
      expect(existsSync(join(directory, 'index.js'))).toBe(true);
      expect(existsSync(join(directory, 'index.mjs'))).toBe(false);
      expect(existsSync(join(directory, 'index.js.map'))).toBe(false);
      const code = readFileSync(join(directory, 'index.js'), 'utf8');
      expect(code).toContain('module.exports');
      expect(code).not.toContain('createRequire(import.meta.url)');
      expect(code).toMatch(/require\("@aws-sdk\/client-dynamodb"\)/);
    });
  });

  it('rejects props without an idempotency table, naming the prop', () => {
    const otherStack = new Stack(new App(), 'Other');
    const props = { entry: FIXTURE_ENTRY } as unknown as IdempotentFunctionProps;
    expect(() => new IdempotentFunction(otherStack, 'NoTable', props)).toThrow(/idempotencyTable is required/);
  });

  it('rejects a missing entry file at construction, naming the path', () => {
    // GIVEN
    const otherStack = new Stack(new App(), 'Other');
    const idempotencyTable = new IdempotencyTable(otherStack, 'Idempotency');
    // WHEN / THEN
    expect(
      () => new IdempotentFunction(otherStack, 'Missing', { entry: '/nonexistent/handler.ts', idempotencyTable }),
    ).toThrow(/\/nonexistent\/handler\.ts/);
  });
});
