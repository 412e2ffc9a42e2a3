import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import type { IdempotencyTable } from './idempotency-table.js';

/**
 * The Node.js runtime `IdempotentFunction` uses unless told otherwise: the newest one the
 * installed `aws-cdk-lib` knows (a test fails when a newer one appears).
 */
export const DEFAULT_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Properties of an {@link IdempotentFunction}: those of a `NodejsFunction`, plus its table. */
export interface IdempotentFunctionProps extends nodejs.NodejsFunctionProps {
  /** The table the function keeps its idempotency records in; wired with `useBy`. */
  readonly idempotencyTable: IdempotencyTable;
}

/**
 * A `NodejsFunction` set up for retry-safe: the newest Node.js runtime, an ESM bundle with the
 * AWS SDK left external (the runtime provides it), source maps on, and least-privilege access
 * to its idempotency table with `IDEMPOTENCY_TABLE_NAME` set. Every default can be overridden
 * through the usual `NodejsFunctionProps`; `bundling` and `environment` are merged, not replaced.
 *
 * @example
 * const idempotencyTable = new IdempotencyTable(this, 'Idempotency');
 * new IdempotentFunction(this, 'Payments', { entry: 'lambda/payments.ts', idempotencyTable });
 */
export class IdempotentFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: IdempotentFunctionProps) {
    const { idempotencyTable, bundling, environment, ...functionProps } = props;
    if (!idempotencyTable) {
      throw new Error(`IdempotentFunction ${id}: idempotencyTable is required, e.g. new IdempotencyTable(this, 'Idempotency')`);
    }
    const format = bundling?.format ?? nodejs.OutputFormat.ESM;
    const sourceMap = bundling?.sourceMap ?? true;
    const esmDefaults: nodejs.BundlingOptions =
      format === nodejs.OutputFormat.ESM
        ? {
            // Prefer dependencies' ESM builds; CommonJS ones still bundle, with `require` shimmed below.
            mainFields: ['module', 'main'],
            // esbuild's ESM output has no `require`; bundled CommonJS code that calls it needs one.
            banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
          }
        : {};
    super(scope, id, {
      ...functionProps,
      runtime: functionProps.runtime ?? DEFAULT_RUNTIME,
      bundling: { format, sourceMap, minify: true, ...esmDefaults, ...bundling },
      environment: {
        // Stack traces point at the TypeScript source, not the minified bundle.
        ...(sourceMap ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
        ...environment,
      },
    });
    idempotencyTable.useBy(this);
  }
}
