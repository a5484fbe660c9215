import type { Order } from '../generated/checkout/v1/Order.js';
import type { OrderStatus } from './order.js';

/** An order as clients see it (the proto `checkout.v1.Order`, as plain JSON-safe data). */
export type OrderView = Required<Pick<Order, 'orderId' | 'consumerId' | 'merchantId' | 'placedAt' | 'updatedAt' | 'version'>> & Order & { status: OrderStatus };
