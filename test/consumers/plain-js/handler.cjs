// CommonJS: require() of the ESM-only package (Node >= 20.19 loads ES modules with require).
const { randomUUID } = require('node:crypto');
const { DynamoDBStore, makeIdempotent } = require('retry-safe');

let runs = 0;

module.exports = {
  sideEffects: () => runs,
  handler: makeIdempotent(
    async (event) => {
      runs += 1;
      return { orderId: event.orderId, receipt: randomUUID() };
    },
    { store: new DynamoDBStore(), key: (event) => event.orderId },
  ),
};
