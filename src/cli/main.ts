#!/usr/bin/env node
/** `checkout …` (package.json bin): see `checkout --help` and the README's CLI section. */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  env: process.env,
  isTTY: Boolean(process.stderr.isTTY),
  progressStream: process.stderr,
});
// Leave once the output is flushed: an interrupted load's open-loop schedule may still hold a timer.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
