/**
 * A fake workflow starter for fulfilment, keyed like a Step Functions execution name: one run
 * per workflow id; starting it again returns the running one. Records live in the orders table
 * under `fulfilment#<workflow id>`.
 */
import { randomBytes } from 'node:crypto';
import { recordOnce } from './downstream-record.js';
import type { OrdersTable } from './orders-table.js';

/** What a fulfilment run is started with. */
export interface FulfilmentRequest {
  /** Deduplicates runs: one per id. */
  readonly workflowId: string;
  readonly orderId: string;
  readonly sku: string;
  readonly quantity: number;
}

/** A started fulfilment run. */
export interface FulfilmentRun {
  readonly workflowId: string;
  readonly runId: string;
}

/** Starts the fulfilment workflow once per workflow id; a repeat returns the first run. */
export async function startFulfilment(table: OrdersTable, request: FulfilmentRequest): Promise<FulfilmentRun> {
  const stored = await recordOnce(table, `fulfilment#${request.workflowId}`, {
    runId: { S: `run_${randomBytes(12).toString('hex')}` },
    orderId: { S: request.orderId },
    sku: { S: request.sku },
    quantity: { N: String(request.quantity) },
    startedAt: { S: new Date().toISOString() },
  });
  return { workflowId: request.workflowId, runId: stored.runId?.S ?? '' };
}
