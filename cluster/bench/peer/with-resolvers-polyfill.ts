/**
 * `Promise.withResolvers` (ES2024) for Node 20, which lacks it and the Restate SDK 1.17 line
 * uses it. Import this module before loading the SDK.
 */
interface Resolvers<T> { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void }
type WithResolvers = <T>() => Resolvers<T>;

const P = Promise as PromiseConstructor & { withResolvers?: WithResolvers };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T>(): Resolvers<T> {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

export {};
