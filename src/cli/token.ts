import type { Command } from 'commander';
import { DEFAULT_TOKEN_TTL_SECONDS } from '../edge/auth.js';
import { parseNumber, runCommand, type CliIo } from './context.js';
import { mintDevToken, tokenSecret } from './dev-token.js';

export function registerToken(program: Command, io: CliIo, done: (code: number) => void): void {
  program.command('token')
    .description('mint a bearer token (signed with --secret, AUTH_SECRET or the dev default)')
    .option('--subject <consumerId>', 'the consumer the token speaks for', 'c-demo')
    .option('--admin', 'an admin token (reads and cancels any order)', false)
    .option('--operator', 'a read-only operator token (the dashboard and its read API)', false)
    .option('--ttl <seconds>', 'lifetime', String(DEFAULT_TOKEN_TTL_SECONDS))
    .action(async (flags: { subject: string; admin: boolean; operator: boolean; ttl: string }, cmd: Command) => done(await runCommand(io, cmd, async (ctx) => {
      const ttlSeconds = parseNumber(flags.ttl, '--ttl', (n) => Number.isInteger(n) && n > 0, 'a positive whole number of seconds');
      const token = await mintDevToken({ subject: flags.subject, admin: flags.admin, operator: flags.operator, ttlSeconds, secret: tokenSecret(ctx.io.env, ctx.options.secret), kid: ctx.io.env.AUTH_KEY_ID });
      ctx.print(token, { token, subject: flags.subject, role: flags.admin ? 'admin' : flags.operator ? 'operator' : 'consumer', ttlSeconds });
    })));
}
