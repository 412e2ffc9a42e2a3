import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** DynamoDB's item size: each attribute's name bytes plus its value's size. */
export function itemSize(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + valueSize(value);
  return bytes;
}

/**
 * A value's size by DynamoDB's published rules. Numbers: one byte per two significant digits
 * (leading and trailing zeros trimmed), plus one.
 */
function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/[-.]/g, '').replace(/^0+|0+$/g, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  // Maps and lists: 3 bytes, plus 1 byte and the name (maps) for each element.
  if (value.M !== undefined) {
    return Object.entries(value.M).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + valueSize(v) + 1, 3);
  }
  if (value.L !== undefined) return value.L.reduce((sum, v) => sum + valueSize(v) + 1, 3);
  throw new Error(`itemSize: unsupported attribute value ${JSON.stringify(value)}`);
}
