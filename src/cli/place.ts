import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { CartLine } from '../generated/checkout/v1/CartLine.js';
import type { PlaceOrderRequest } from '../generated/checkout/v1/PlaceOrderRequest.js';
import { DEMO_ADDRESS, DEMO_PAYMENT_METHOD } from '../load/demo-orders.js';
import { parseNumber, runCommand, UsageError, type CliIo } from './context.js';
import { money } from './format-order.js';

export interface PlaceFlags {
  consumer?: string;
  merchant: string;
  items?: string;
  street: string;
  city: string;
  postalCode: string;
  country: string;
  lat: string;
  lng: string;
  paymentMethod: string;
  tip: string;
  idempotencyKey?: string;
}

/**
 * `itemId:qty[:note]` lines, comma-separated. Only the shape is checked here: quantities the
 * service refuses (0, too many) go to it, so its field violations say what is wrong.
 */
export function parseItems(text: string): CartLine[] {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError('--items needs at least one itemId:qty');
  return parts.map((part) => {
    const [itemId, qty, ...note] = part.split(':');
    if (!itemId || qty === undefined || !/^-?\d+$/.test(qty)) throw new UsageError(`--items: "${part}" is not itemId:qty (qty a whole number)`);
    return { itemId, quantity: Number(qty), note: note.join(':') };
  });
}

/** The PlaceOrder request the flags describe; `defaultConsumer` when --consumer is not given. */
export function placeRequestFromFlags(flags: PlaceFlags, defaultConsumer: string): PlaceOrderRequest {
  const coordinate = (v: string, flag: string) => parseNumber(v, flag, () => true, 'a number');
  return {
    idempotencyKey: flags.idempotencyKey ?? `cli-${randomUUID()}`,
    consumerId: flags.consumer ?? defaultConsumer,
    merchantId: flags.merchant,
    lines: parseItems(flags.items ?? `${flags.merchant}-item-1:2,${flags.merchant}-item-2:1`),
    deliveryAddress: { line1: flags.street, city: flags.city, postalCode: flags.postalCode, country: flags.country, lat: coordinate(flags.lat, '--lat'), lng: coordinate(flags.lng, '--lng') },
    paymentMethodId: flags.paymentMethod,
    tipMinor: parseNumber(flags.tip, '--tip', (n) => Number.isInteger(n), 'a whole number of minor units'),
  };
}

export function registerPlace(program: Command, io: CliIo, done: (code: number) => void): void {
  program.command('place')
    .description('place an order (defaults: a valid order at merchant m-1 for consumer c-demo)')
    .option('--consumer <id>', 'consumer id (default: the token\'s subject, else c-demo)')
    .option('--merchant <id>', 'merchant id', 'm-1')
    .option('--items <list>', 'itemId:qty[,itemId:qty…] (default: <merchant>-item-1:2,<merchant>-item-2:1)')
    .option('--street <line1>', 'delivery address: street', DEMO_ADDRESS.line1)
    .option('--city <city>', 'delivery address: city', DEMO_ADDRESS.city)
    .option('--postal-code <code>', 'delivery address: postal code', DEMO_ADDRESS.postalCode)
    .option('--country <cc>', 'delivery address: ISO country code', DEMO_ADDRESS.country)
    .option('--lat <deg>', 'delivery address: latitude', String(DEMO_ADDRESS.lat))
    .option('--lng <deg>', 'delivery address: longitude', String(DEMO_ADDRESS.lng))
    .option('--payment-method <id>', 'payment method id', DEMO_PAYMENT_METHOD)
    .option('--tip <minor>', 'tip in minor units (cents)', '0')
    .option('--idempotency-key <key>', 'idempotency key (default: a random one)')
    .action(async (flags: PlaceFlags, cmd: Command) => done(await runCommand(io, cmd, async (ctx) => {
      const request = placeRequestFromFlags(flags, ctx.credentials.subject ?? 'c-demo');
      const res = await ctx.client().place(request);
      ctx.print(`${res.replayed ? 'replayed' : 'accepted'} ${res.orderId}  ${res.status}  total ${money(res.total)}  (key ${request.idempotencyKey})`,
        { ...res, idempotencyKey: request.idempotencyKey });
    })));
}
