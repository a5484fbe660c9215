import { compensate, type CompensationFields, type CompensationRef, type CompensationResult } from './compensation.js';
import { invalidArgument, notFound } from './downstream-errors.js';
import type { KeyStore } from './key-store.js';

/** Something a forward step opens and its compensation closes: a delivery, a merchant ticket. */
export interface OpenResource {
  id: string;
  orderId: string;
  /** The idempotency key of the call that opened it. */
  createKey: string;
  cancelled: boolean;
}

export interface ResourceBook<R extends OpenResource> {
  /** Ids count up for the server's whole life, so an id from before a Reset never comes back. */
  nextId(): string;
  add(resource: R): R;
  get(id: string): R | undefined;
  cancel(ref: CompensationRef): CompensationResult;
  clear(): void;
}

export function createResourceBook<R extends OpenResource>(opts: {
  prefix: string;
  /** The opening operation's keys, where a cancel by key finds (or fences) its original. */
  opened: KeyStore<unknown>;
  fields: CompensationFields;
}): ResourceBook<R> {
  let byId = new Map<string, R>();
  let next = 1;

  return {
    nextId: () => `${opts.prefix}-${next++}`,
    add(resource) {
      byId.set(resource.id, resource);
      return resource;
    },
    get: (id) => byId.get(id),
    cancel(ref) {
      return compensate(opts.opened, ref, opts.fields, (id) => {
        const resource = byId.get(id);
        if (!resource) throw notFound(`${opts.fields.idField} ${id} does not exist`);
        if (resource.orderId !== ref.orderId) {
          throw invalidArgument(opts.fields.idField, `${opts.fields.idField} ${id} belongs to order ${resource.orderId}`);
        }
        if (resource.cancelled) return { outcome: 'ALREADY_COMPENSATED', id };
        resource.cancelled = true;
        return { outcome: 'COMPENSATED', id, ledger: { amountMinor: 0, refId: id, compensatesKey: resource.createKey } };
      });
    },
    clear() {
      byId = new Map();
    },
  };
}
