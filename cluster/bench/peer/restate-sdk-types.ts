/**
 * The few calls of `@restatedev/restate-sdk` (1.17) the peer's checkout uses, typed here so the
 * project builds without the SDK installed: the SDK is loaded at run time from the bench's cache
 * (`peer-install.ts`), never from the project's node_modules.
 */

/** `ctx` of an exclusive virtual-object handler. */
export interface RestateObjectContext {
  /** The object's key: here the order id. */
  readonly key: string;
  /** Runs `action` once and journals its result; a replay returns the journaled result. */
  run<T>(name: string, action: () => Promise<T>): Promise<T>;
}

export interface RestateObjectDefinition { readonly name: string }

export interface RestateSdk {
  object(definition: {
    name: string;
    handlers: Record<string, (ctx: RestateObjectContext, input: unknown) => Promise<unknown>>;
  }): RestateObjectDefinition;
  /** An HTTP/2 endpoint for the services on `port`; resolves with the bound port. */
  serve(options: { services: RestateObjectDefinition[]; port: number }): Promise<number>;
  /** Thrown from a handler or a run: not retried. */
  TerminalError: new (message: string) => Error;
}

/** Loads the SDK from an absolute path to its ESM entry (`…/restate-sdk/dist/index.js`). */
export async function loadRestateSdk(entry: string): Promise<RestateSdk> {
  const { pathToFileURL } = await import('node:url');
  return (await import(pathToFileURL(entry).href)) as RestateSdk;
}
