import type { CancelTicketResponse } from '../../../src/generated/downstream/v1/CancelTicketResponse.js';
import type { MerchantServiceHandlers } from '../../../src/generated/downstream/v1/MerchantService.js';
import type { SendOrderResponse } from '../../../src/generated/downstream/v1/SendOrderResponse.js';
import { failedPrecondition, invalidArgument, notFound } from './downstream-errors.js';
import { createKeyStore, type KeyStore } from './key-store.js';
import { mutationHandler, type MutationSpec, type Runtime } from './operation-handler.js';
import type { Operation } from '../../../src/clients/downstream-operations.js';
import type { SendOrderRequest__Output } from '../../../src/generated/downstream/v1/SendOrderRequest.js';
import { createResourceBook, type OpenResource, type ResourceBook } from './resource-book.js';
import { optionalText, requireEither, requireText } from './validate.js';
import type { World } from './world.js';

export interface Ticket extends OpenResource {
  merchantId: string;
  lines: number;
}

/** The restaurants' tablets: tickets and the keys of the calls that open and cancel them. */
export interface TicketDesk {
  keys: { send: KeyStore<SendOrderResponse>; cancel: KeyStore<CancelTicketResponse> };
  tickets: ResourceBook<Ticket>;
  clear(): void;
}

export function createTicketDesk(): TicketDesk {
  const keys = { send: createKeyStore<SendOrderResponse>(), cancel: createKeyStore<CancelTicketResponse>() };
  const tickets = createResourceBook<Ticket>({
    prefix: 'tkt',
    opened: keys.send,
    fields: { originalOperation: 'merchant.SendOrder', idField: 'ticket_id', keyField: 'send_idempotency_key' },
  });
  return {
    keys,
    tickets,
    clear() {
      keys.send.clear();
      keys.cancel.clear();
      tickets.clear();
    },
  };
}

const MAX_LINES = 100;

type SendSpec = MutationSpec<SendOrderRequest__Output, SendOrderResponse>;

/** Both channels take an order the same way; only where faults hit and how the ticket is named differ. */
function sendSpec(operation: Operation, channel: 'tablet' | 'phone', deps: { world: World; desk: TicketDesk }): SendSpec {
  const { world, desk } = deps;
  return {
    operation,
    keys: desk.keys.send,
    fatalFaults: true,
    validate(req) {
      requireText(req.merchantId, 'merchant_id');
      if (req.lines.length === 0 || req.lines.length > MAX_LINES) throw invalidArgument('lines', `lines must hold 1 to ${MAX_LINES} items`);
      req.lines.forEach((line, i) => {
        requireText(line.itemId, `lines[${i}].item_id`);
        optionalText(line.name, `lines[${i}].name`);
        optionalText(line.note, `lines[${i}].note`);
        if (!(line.quantity > 0)) throw invalidArgument(`lines[${i}].quantity`, 'quantity must be positive');
      });
    },
    faultContext: (req) => ({ orderId: req.orderId, merchantId: req.merchantId }),
    apply(req) {
      const merchant = world.merchant(req.merchantId);
      if (!merchant) throw notFound(`merchant ${req.merchantId} does not exist`);
      if (!merchant.open) throw failedPrecondition('MERCHANT_CLOSED', `${merchant.name} is closed`);
      if (!merchant.acceptingOrders) throw failedPrecondition('MERCHANT_NOT_ACCEPTING', `${merchant.name} is not taking orders`);
      const ticket = desk.tickets.add({
        // The id says how the restaurant got the ticket; the ledger entry is the same either way.
        id: channel === 'tablet' ? desk.tickets.nextId() : `${desk.tickets.nextId()}-by-phone`,
        orderId: req.orderId,
        createKey: req.idempotencyKey,
        cancelled: false,
        merchantId: req.merchantId,
        lines: req.lines.length,
      });
      return { response: { ticketId: ticket.id }, ledger: { amountMinor: 0, refId: ticket.id } };
    },
  };
}

/** A ticket is accepted by an open merchant that takes orders; m-rejects refuses by built-in fault (on the tablet). */
export function merchantHandlers(runtime: Runtime, deps: { world: World; desk: TicketDesk }): MerchantServiceHandlers {
  const { desk } = deps;
  return {
    SendOrder: mutationHandler(runtime, sendSpec('merchant.SendOrder', 'tablet', deps)),
    // The second channel: its own faults and latency, the same keys and tickets (merchant.proto).
    PhoneOrder: mutationHandler(runtime, { ...sendSpec('merchant.PhoneOrder', 'phone', deps), ledgerOperation: 'merchant.SendOrder' }),
    CancelTicket: mutationHandler(runtime, {
      operation: 'merchant.CancelTicket',
      keys: desk.keys.cancel,
      fatalFaults: false,
      validate: (req) => requireEither(req.ticketId, 'ticket_id', req.sendIdempotencyKey, 'send_idempotency_key'),
      faultContext(req) {
        const ticket = desk.tickets.get(req.ticketId);
        return { orderId: req.orderId, ...(ticket ? { merchantId: ticket.merchantId } : {}) };
      },
      apply(req) {
        const result = desk.tickets.cancel({ orderId: req.orderId, id: req.ticketId, originalKey: req.sendIdempotencyKey });
        return { response: { ticketId: result.id, outcome: result.outcome }, ...(result.ledger ? { ledger: result.ledger } : {}) };
      },
    }),
  };
}
