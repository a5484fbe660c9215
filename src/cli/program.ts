import { Command, CommanderError } from 'commander';
import { registerCancel } from './cancel.js';
import { DEFAULT_ADDRESS, type CliIo } from './context.js';
import { registerGet } from './get.js';
import { registerLoad } from './load.js';
import { registerPlace } from './place.js';
import { registerToken } from './token.js';
import { registerWatch } from './watch.js';

/** The `checkout` command line: global flags, then one command per file. */
export function buildProgram(io: CliIo, done: (code: number) => void): Command {
  const program = new Command('checkout')
    .description('Talk to a checkout cluster: place, get, watch and cancel orders, mint tokens, run a load.')
    .option('--address <host:port>', 'a checkout node\'s gRPC address (env CHECKOUT_ADDRESS)', io.env.CHECKOUT_ADDRESS ?? DEFAULT_ADDRESS)
    .option('--token <jwt>', 'bearer token (env CHECKOUT_TOKEN)')
    .option('--secret <secret>', 'mint tokens with this secret (env AUTH_SECRET; default: the dev secret of npm start)')
    .option('--timeout <ms>', 'deadline of each call', '10000')
    .option('--json', 'machine-readable output: one JSON object per line', false)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  for (const register of [registerPlace, registerGet, registerWatch, registerCancel, registerToken, registerLoad]) register(program, io, done);
  return program;
}

/** Runs the CLI on `args` (without node and the script); resolves with the exit code. */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => { code = c; });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    // Help and version end here too (exit code 0); a bad flag or command exits 2.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return code;
}
