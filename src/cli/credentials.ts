import { mintDevToken, tokenSecret, tokenSubject } from './dev-token.js';

/**
 * Where the CLI's bearer tokens come from: one given token (--token, CHECKOUT_TOKEN) for every
 * call, or tokens minted with a secret (--secret, AUTH_SECRET, else the dev default) — a
 * consumer token per consumer for PlaceOrder, an admin token to read or cancel any order.
 */
export interface Credentials {
  /** The token to place an order as `consumerId`. */
  forConsumer(consumerId: string): Promise<string>;
  /** The token to read, watch or cancel an order. */
  forOrders(): Promise<string>;
  /** The consumer a given token names; undefined when tokens are minted. */
  readonly subject: string | undefined;
  readonly canMint: boolean;
}

const ADMIN_SUBJECT = 'checkout-cli';

export function resolveCredentials(opts: { token?: string; secret?: string; env: NodeJS.ProcessEnv }): Credentials {
  const token = opts.token ?? opts.env.CHECKOUT_TOKEN;
  if (token) {
    return { forConsumer: async () => token, forOrders: async () => token, subject: tokenSubject(token), canMint: false };
  }
  const secret = tokenSecret(opts.env, opts.secret);
  const minted = new Map<string, Promise<string>>();
  const mint = (subject: string, admin: boolean) => {
    const key = `${admin ? 'admin' : 'consumer'}:${subject}`;
    let t = minted.get(key);
    if (!t) minted.set(key, (t = mintDevToken({ subject, admin, secret, kid: opts.env.AUTH_KEY_ID })));
    return t;
  };
  return { forConsumer: (consumerId) => mint(consumerId, false), forOrders: () => mint(ADMIN_SUBJECT, true), subject: undefined, canMint: true };
}
