import type { Command } from 'commander';
import { parseNumber, runCommand, type CliIo } from './context.js';
import { formatStatusChange } from './format-order.js';

export function registerWatch(program: Command, io: CliIo, done: (code: number) => void): void {
  program.command('watch')
    .description('print every status change of an order until it is terminal')
    .argument('<orderId>')
    .option('--for <seconds>', 'give up after this long (default: wait until terminal)')
    .action(async (orderId: string, flags: { for?: string }, cmd: Command) => done(await runCommand(io, cmd, async (ctx) => {
      const timeoutMs = flags.for === undefined ? undefined : 1000 * parseNumber(flags.for, '--for', (n) => n > 0, 'a positive number of seconds');
      // Each change as it arrives; with --json one object per line.
      const last = await ctx.client().watch(orderId, (o) => ctx.print(formatStatusChange(o), o), timeoutMs);
      if (!last) ctx.io.err('the stream ended without an update\n');
    })));
}
