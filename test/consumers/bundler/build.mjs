// Bundles the handler as a Lambda deployment would (ESM, the AWS SDK external) and fails if
// the bundle carries CDK code: retry-safe's runtime entry must not pull in retry-safe/cdk.
import { build } from 'esbuild';

const result = await build({
  entryPoints: ['src/handler.ts'],
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['@aws-sdk/*'],
  outfile: 'out/handler.mjs',
  metafile: true,
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs);
const cdk = inputs.filter((input) => /node_modules\/(aws-cdk-lib|constructs)\/|retry-safe\/dist\/lib\//.test(input));
if (cdk.length > 0) throw new Error(`the bundle contains CDK code: ${cdk.join(', ')}`);
const retrySafe = inputs.filter((input) => input.includes('node_modules/retry-safe/'));
if (retrySafe.length === 0) throw new Error('the bundle does not contain retry-safe');
console.log(`bundled ${inputs.length} modules (${retrySafe.length} from retry-safe), no CDK code`);
