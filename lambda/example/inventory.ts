/**
 * The example's stock, one item per product in the orders table (`inventory#<sku>`), changed only
 * with `compareAndSwap`: a write succeeds only against the version that was read.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { compareAndSwap } from '../steps/compare-and-swap.js';
import { VersionConflictError } from '../steps/errors.js';
import type { OrdersTable } from './orders-table.js';

/** The products the example sells, with the stock each starts with. */
export const CATALOGUE: Readonly<Record<string, number>> = {
  // Plenty: the demo and `npm start` with --data-dir never run out.
  'demo-widget': 1_000_000,
  // Three units: order more to see 409 out-of-stock.
  'limited-print': 3,
};

/** The product ordered when the body names none. */
export const DEFAULT_SKU = 'demo-widget';

/** A product's stock as read, with the version a write must expect. */
export interface StockLevel {
  readonly sku: string;
  readonly stock: number;
  readonly version: number;
}

/** The inventory item's id in the orders table. */
export function inventoryId(sku: string): string {
  return `inventory#${sku}`;
}

/**
 * Reads a product's stock, strongly consistent. A catalogue product read for the first time is
 * stocked first (a create-if-absent `compareAndSwap`: concurrent first reads stock it once).
 */
export async function readStock(table: OrdersTable, sku: string): Promise<StockLevel> {
  const found = await readItem(table, sku);
  if (found) return found;
  const initial = CATALOGUE[sku];
  if (initial === undefined) throw new Error(`unknown product ${JSON.stringify(sku)}: not in the catalogue`);
  try {
    const seeded = await compareAndSwap({
      client: table.client,
      tableName: table.tableName,
      key: { id: { S: inventoryId(sku) } },
      expectedVersion: 0,
      set: { sku: { S: sku }, stock: { N: String(initial) } },
    });
    return { sku, stock: initial, version: seeded.version };
  } catch (error) {
    // Another request stocked it first: read what it wrote.
    if (!(error instanceof VersionConflictError)) throw error;
    const again = await readItem(table, sku);
    if (!again) throw error;
    return again;
  }
}

/** What {@link takeStock} needs: the level read earlier, how many units, and this write's id. */
export interface TakeStockRequest {
  readonly seen: StockLevel;
  readonly quantity: number;
  /** Identifies the write, so a re-run of it recognizes its own earlier write. */
  readonly writeId: string;
}

/**
 * Takes `quantity` units, only if the item is still at the version read. Throws
 * `VersionConflictError` (with the current item) if it moved on: nothing is written, and the
 * caller must not simply re-read, because the write in the way may have been this order's own.
 */
export async function takeStock(table: OrdersTable, request: TakeStockRequest): Promise<StockLevel> {
  const { seen, quantity, writeId } = request;
  const written = await compareAndSwap({
    client: table.client,
    tableName: table.tableName,
    key: { id: { S: inventoryId(seen.sku) } },
    expectedVersion: seen.version,
    set: { stock: { N: String(seen.stock - quantity) } },
    writeId,
  });
  return { sku: seen.sku, stock: seen.stock - quantity, version: written.version };
}

/** The stock recorded on an inventory item, e.g. the current one a `VersionConflictError` carries. */
export function stockOf(item: VersionConflictError['item']): number {
  return Number(item?.stock?.N ?? 0);
}

async function readItem(table: OrdersTable, sku: string): Promise<StockLevel | undefined> {
  const out = await table.client.send(
    new GetItemCommand({ TableName: table.tableName, Key: { id: { S: inventoryId(sku) } }, ConsistentRead: true }),
  );
  if (!out.Item) return undefined;
  return { sku, stock: Number(out.Item.stock?.N), version: Number(out.Item.version?.N) };
}
