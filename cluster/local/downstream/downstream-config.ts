import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DownstreamError } from './downstream-errors.js';
import { FAULT_KINDS } from '../../../src/clients/downstream-operations.js';
import { checkFaultSpec, type FaultSpec } from './faults.js';
import { checkLatencySpec, type LatencySpec } from './latency.js';

export interface DownstreamProcessConfig {
  host: string;
  port: number;
  latency: LatencySpec[];
  faults: FaultSpec[];
  seed?: number;
  /** What every admin call (faults, latency, ledgers) must carry; required. */
  adminSecret: string;
  logLevel: string;
}

const latencyRules = z.array(
  z.object({ target: z.string(), fixedMs: z.number().int().min(0), jitterMs: z.number().int().min(0).optional() }).strict(),
);
const faultRules = z.array(
  z
    .object({
      target: z.string(),
      kind: z.enum(FAULT_KINDS as [string, ...string[]]),
      match: z
        .object({
          orderId: z.string(),
          cardLast4: z.string(),
          merchantId: z.string(),
          postalCode: z.string(),
          consumerId: z.string(),
        })
        .partial()
        .strict()
        .optional(),
      rate: z.number().min(0).max(1).optional(),
      firstCalls: z.number().int().min(0).optional(),
      applyThenFail: z.boolean().optional(),
    })
    .strict(),
);

const USAGE = `downstream-main [--host H] [--port P] [--seed N] [--latency JSON] [--faults JSON]
  env: DOWNSTREAM_ADMIN_SECRET (required, 16+ characters: the admin API's shared secret),
       DOWNSTREAM_HOST, DOWNSTREAM_PORT (0 = a free port), DOWNSTREAM_SEED, LOG_LEVEL,
       DOWNSTREAM_LATENCY  e.g. [{"target":"payments.*","fixedMs":20,"jitterMs":10}]
       DOWNSTREAM_FAULTS   e.g. [{"target":"payments.Capture","kind":"UNAVAILABLE","rate":0.2}]
  flags win over env.`;

/** Reads flags and env; throws an Error whose message says what to fix, with usage. */
export function loadDownstreamConfig(argv: string[], env: NodeJS.ProcessEnv): DownstreamProcessConfig {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        seed: { type: 'string' },
        latency: { type: 'string' },
        faults: { type: 'string' },
      },
      strict: true,
    });
    const seedText = values.seed ?? env.DOWNSTREAM_SEED;
    const seed = seedText === undefined ? undefined : z.coerce.number().int().min(1).max(0xffffffff).parse(seedText);
    return {
      host: values.host ?? env.DOWNSTREAM_HOST ?? '127.0.0.1',
      port: z.coerce.number().int().min(0).max(65535).parse(values.port ?? env.DOWNSTREAM_PORT ?? '0'),
      latency: parseJson(values.latency ?? env.DOWNSTREAM_LATENCY, 'latency', latencyRules).map(checkLatencySpec),
      faults: parseJson(values.faults ?? env.DOWNSTREAM_FAULTS, 'faults', faultRules).map((r) => checkFaultSpec(r as FaultSpec)),
      ...(seed === undefined ? {} : { seed }),
      adminSecret: z.string({ error: 'DOWNSTREAM_ADMIN_SECRET is required' }).min(16, 'DOWNSTREAM_ADMIN_SECRET: use at least 16 characters').parse(env.DOWNSTREAM_ADMIN_SECRET),
      logLevel: env.LOG_LEVEL ?? 'info',
    };
  } catch (err) {
    const detail = err instanceof z.ZodError ? z.prettifyError(err) : err instanceof Error ? err.message : String(err);
    const field = err instanceof DownstreamError && err.field ? ` (${err.field})` : '';
    throw new Error(`invalid downstream configuration${field}: ${detail}\n${USAGE}`);
  }
}

function parseJson<T>(text: string | undefined, what: string, schema: z.ZodType<T[]>): T[] {
  if (text === undefined || text.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${what} is not valid JSON`);
  }
  return schema.parse(value);
}
