import type { Command } from 'commander';
import { runCommand, type CliIo } from './context.js';
import { formatOrder } from './format-order.js';

export function registerGet(program: Command, io: CliIo, done: (code: number) => void): void {
  program.command('get')
    .description('show an order')
    .argument('<orderId>')
    .action(async (orderId: string, _flags: object, cmd: Command) => done(await runCommand(io, cmd, async (ctx) => {
      const order = await ctx.client().get(orderId);
      ctx.print(formatOrder(order), order);
    })));
}
