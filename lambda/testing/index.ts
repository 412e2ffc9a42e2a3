/**
 * retry-safe/testing: prove your own handlers are retry-safe, in unit tests, without DynamoDB.
 * Its own entry: a handler never imports it, so no handler bundles it. No test-runner dependency.
 */
export { TestClock } from './clock.js';
export { InMemoryStore, type InMemoryStoreOptions } from './in-memory-store.js';
export {
  FaultyStore,
  stepRecordOf,
  WRITE_OPERATIONS,
  type Fault,
  type FaultKind,
  type InjectedFault,
  type StoreCall,
  type StoreOperation,
} from './faulty-store.js';
export {
  crashPointsOf,
  simulateCrashes,
  simulateRetries,
  type AttemptOutcome,
  type CrashPoint,
  type ContextOf,
  type CrashSimulation,
  type SimulatedHandler,
  type SimulatedWorld,
  type SimulateRetriesOptions,
  type SimulationReport,
} from './simulate-retries.js';
