/** Built-in values a replay gives back equal: their structured clone is the same kind of object. */
type ReplayedAsIs =
  | string
  | number
  | boolean
  | bigint
  | null
  | undefined
  | Date
  | RegExp
  | Error
  | ArrayBuffer
  | ArrayBufferView;

/**
 * The type of a value as a replay returns it: JSON data, `Date`, `Map`, `Set`, `BigInt`, typed
 * arrays, `RegExp` and `Error` come back equal; a class instance comes back as plain data
 * (its methods are gone) and functions are dropped. For plain data it is `T` itself, so
 * `step('charge', ...)` typed with an interface reads back as that interface, while a class
 * with methods does not type-check where its methods are called after a replay.
 */
export type Replayed<T> = T extends ReplayedAsIs
  ? T
  : T extends (...args: never[]) => unknown
    ? undefined
    : T extends ReadonlyMap<infer K, infer V>
      ? Map<Replayed<K>, Replayed<V>>
      : T extends ReadonlySet<infer V>
        ? Set<Replayed<V>>
        : T extends readonly unknown[]
          ? { [I in keyof T]: Replayed<T[I]> }
          : T extends object
            ? { [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: Replayed<T[K]> }
            : T;
