/**
 * `npm run token -- --subject c-1 [--admin | --operator] [--ttl 3600]`: prints a bearer token for a local
 * cluster, signed with AUTH_SECRET (or the dev secret of a local cluster, whose nodes run with CHECKOUT_DEV_MODE).
 * `checkout token` (src/cli/token.ts) does the same through the CLI.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { mintDevToken, tokenSecret } from '../../src/cli/dev-token.js';
import { DEFAULT_TOKEN_TTL_SECONDS } from '../../src/edge/auth.js';

const USAGE = 'usage: mint-token --subject <consumer id> [--admin | --operator] [--ttl <seconds>]';

const options = {
  subject: { type: 'string', short: 's' },
  admin: { type: 'boolean', default: false },
  operator: { type: 'boolean', default: false },
  ttl: { type: 'string', default: String(DEFAULT_TOKEN_TTL_SECONDS) },
} as const;

/** The token the arguments ask for; throws an Error whose message says what to fix. */
export async function mintTokenFromArgs(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  let values;
  try {
    ({ values } = parseArgs({ args, options, strict: true }));
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
  if (!values.subject) throw new Error(`--subject is required\n${USAGE}`);
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new Error(`--ttl must be a positive whole number of seconds\n${USAGE}`);
  return mintDevToken({ subject: values.subject, admin: values.admin, operator: values.operator, ttlSeconds, secret: tokenSecret(env), kid: env.AUTH_KEY_ID });
}

// Run as a program, not when a test imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    process.stdout.write(`${await mintTokenFromArgs(process.argv.slice(2), process.env)}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  }
}
