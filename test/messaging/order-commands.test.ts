import { describe, expect, it } from 'vitest';
import { decodeOrderCommand, type OrderCommandMessage } from '../../src/messaging/order-commands.js';
import { pricedOrder } from '../support/orders.js';

const encode = (cmd: unknown) => Buffer.from(JSON.stringify(cmd));

describe('a place command on order-commands', () => {
  it('carries pricing\'s discount, ETA, estimated parts and fallbacks to the actor unchanged', () => {
    const order = pricedOrder({
      discountMinor: 99, promotionId: 'PARTNER10', etaMinutes: 40, estimated: ['delivery_fee', 'eta'],
      fallbacks: [{ dependency: 'delivery_quote', rule: 'ZONE_DEFAULT_DELIVERY', detail: 'zone fee 399', at: 1_700_000_000_000 }],
    });
    const cmd: OrderCommandMessage = { v: 1, type: 'place', order };
    expect(decodeOrderCommand(encode(cmd))).toEqual({ ok: true, cmd });
  });

  it('refuses a fallback it does not know, as a poison command', () => {
    const order = { ...pricedOrder(), fallbacks: [{ dependency: 'menu', rule: 'GUESS_PRICES', detail: '', at: 1 }] };
    expect(decodeOrderCommand(encode({ v: 1, type: 'place', order }))).toMatchObject({ ok: false, reason: 'invalid_command' });
  });
});
