import type { Command } from 'commander';
import { runCommand, type CliIo } from './context.js';

/** What a CancelOrder answer means for the person who asked. */
export function describeCancel(orderId: string, status: string): string {
  switch (status) {
    case 'CANCELLED': return `${orderId} cancelled: every completed step was undone`;
    case 'COMPENSATING': return `${orderId} is being cancelled: completed steps are being undone (watch it to see the end)`;
    case 'COMPLETED': case 'FAILED': return `${orderId} already finished (${status}): nothing to cancel`;
    default: return `${orderId} cancel requested; status now ${status}`;
  }
}

export function registerCancel(program: Command, io: CliIo, done: (code: number) => void): void {
  program.command('cancel')
    .description('cancel an order that has not finished (undoing the steps done)')
    .argument('<orderId>')
    .option('--reason <text>', 'why', 'cancelled from the CLI')
    .action(async (orderId: string, flags: { reason: string }, cmd: Command) => done(await runCommand(io, cmd, async (ctx) => {
      const res = await ctx.client().cancel(orderId, flags.reason);
      const alreadyFinished = res.status === 'COMPLETED' || res.status === 'FAILED';
      ctx.print(describeCancel(res.orderId, res.status), { ...res, alreadyFinished });
    })));
}
