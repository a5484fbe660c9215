import { mkdtemp, open, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchRulesFile, type RulesFile } from '../../cluster/routing/rules-file.js';
import { routeOrder } from '../../cluster/routing/sandbox-rules.js';
import { recordingLogger } from '../support/recording-logger.js';


async function eventually(check: () => void, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

const beta = { consumerId: 'c-beta', merchantId: 'm-1' };
const other = { consumerId: 'c-other', merchantId: 'm-1' };

describe('the sandbox rules file, reloaded without a restart', () => {
  let dir: string;
  let path: string;
  let file: RulesFile | undefined;
  const write = (doc: unknown) => writeFile(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
  /** As editors that save to a temporary file and rename it over the original do. */
  const replace = async (doc: unknown) => {
    const tmp = `${path}.tmp-${Date.now()}`;
    await writeFile(tmp, typeof doc === 'string' ? doc : JSON.stringify(doc));
    await rename(tmp, path);
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-rules-'));
    path = join(dir, 'rules.json');
  });
  afterEach(async () => {
    file?.stop();
    file = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('without a file, everything runs in main (version 0)', () => {
    file = watchRulesFile({ logger: recordingLogger() });
    expect(file.current().version).toBe(0);
    expect(routeOrder(file.current().rules, beta)).toBe('main');
  });

  it('routes by the file from the start, then by each new text once it is written (no restart, no call)', async () => {
    await write({ rules: [{ consumerIds: ['c-beta'] }] });
    const log = recordingLogger();
    file = watchRulesFile({ path, logger: log, pollMs: 200 });
    expect(file.current().version).toBe(1);
    expect(file.current().loadedAt).toBeGreaterThan(0);
    expect(routeOrder(file.current().rules, beta)).toBe('sandbox');
    expect(routeOrder(file.current().rules, other)).toBe('main');

    await write({ rules: [{ consumerIds: ['c-beta', 'c-other'] }] });
    await eventually(() => expect(routeOrder(file!.current().rules, other)).toBe('sandbox'));
    expect(file.current().version).toBe(2);

    await replace({ rules: [{ merchantIds: ['m-9'] }] });
    await eventually(() => expect(file!.current().version).toBe(3));
    expect(routeOrder(file.current().rules, beta)).toBe('main');
    expect(routeOrder(file.current().rules, { consumerId: 'c-x', merchantId: 'm-9' })).toBe('sandbox');
    expect(log.messages('sandbox rules loaded').map((l) => l.fields.version)).toEqual([1, 2, 3]);
  });

  it('sees changes by polling alone (when fs.watch says nothing)', async () => {
    await write({ rules: [] });
    file = watchRulesFile({ path, logger: recordingLogger(), pollMs: 100, watch: false });
    await write({ rules: [{ percent: 100 }] });
    await eventually(() => expect(routeOrder(file!.current().rules, other)).toBe('sandbox'), 3_000);
  });

  it('an unchanged file is not reloaded (the version counts real changes)', async () => {
    await write({ rules: [{ consumerIds: ['c-beta'] }] });
    file = watchRulesFile({ path, logger: recordingLogger(), pollMs: 50 });
    await write({ rules: [{ consumerIds: ['c-beta'] }] });
    await new Promise((r) => setTimeout(r, 300));
    await file.check();
    expect(file.current().version).toBe(1);
  });

  it('a broken new file keeps the last good rules in force, logs why once, and a fixed file is taken', async () => {
    await replace({ rules: [{ consumerIds: ['c-beta'] }] });
    const log = recordingLogger();
    const refused: string[] = [];
    file = watchRulesFile({ path, logger: log, pollMs: 50, onRefused: (m) => refused.push(m) });
    const good = file.current();

    // Replaced whole each time, so no read can catch a text half-written (counted below).
    await replace('{"rules": [ {"consumerIds": ["c-other"] ');
    await eventually(() => expect(file!.status().lastError?.message).toMatch(/not valid JSON/));
    expect(file.current()).toBe(good);
    expect(routeOrder(file.current().rules, beta)).toBe('sandbox');
    expect(routeOrder(file.current().rules, other)).toBe('main');

    await replace({ rules: [{ consumerIds: ['c-other'] }, { percent: 250 }] });
    await eventually(() => expect(file!.status().lastError?.message).toMatch(/rule 2: percent: must be between 0 and 100/));
    // Half a document is never applied: the valid first rule is not taken either.
    expect(file.current()).toBe(good);
    expect(routeOrder(file.current().rules, other)).toBe('main');
    await new Promise((r) => setTimeout(r, 300)); // several polls of the same bad text
    expect(log.messages('sandbox rules file refused: keeping the rules in force')).toHaveLength(2);
    expect(refused).toHaveLength(2);
    expect(log.messages('sandbox rules file refused: keeping the rules in force')[1]).toMatchObject({ level: 'error', fields: { inForce: 1 } });

    await replace({ rules: [{ consumerIds: ['c-other'] }] });
    await eventually(() => expect(file!.current().version).toBe(2));
    expect(routeOrder(file.current().rules, other)).toBe('sandbox');
    expect(file.status().lastError).toBeUndefined();
  });

  it('a file deleted keeps the rules in force; a missing file at start means main until it appears', async () => {
    const log = recordingLogger();
    file = watchRulesFile({ path, logger: log, pollMs: 50 });
    expect(file.current().version).toBe(0);
    expect(log.messages('sandbox rules file is missing: keeping the rules in force')).toHaveLength(1);
    await write({ rules: [{ consumerIds: ['c-beta'] }] });
    await eventually(() => expect(routeOrder(file!.current().rules, beta)).toBe('sandbox'));
    await unlink(path);
    await new Promise((r) => setTimeout(r, 300));
    expect(routeOrder(file.current().rules, beta)).toBe('sandbox');
    expect(log.messages('sandbox rules file is missing: keeping the rules in force')).toHaveLength(2);
  });

  it('a file being written is never taken half-written', async () => {
    const first = { rules: [{ consumerIds: ['c-beta'] }] };
    const second = { rules: [{ consumerIds: Array.from({ length: 3_000 }, (_, i) => `c-${i}`) }, { merchantIds: ['m-9'] }] };
    await write(first);
    let partialReads = 0;
    file = watchRulesFile({ path, logger: recordingLogger(), pollMs: 5, onRefused: () => { partialReads += 1; } });
    const seen = new Set<number>();
    const sample = setInterval(() => seen.add(file!.current().rules.rules.length), 1);
    // Rewritten in place, in small pieces, with pauses: the watcher reads it mid-way many times.
    const text = JSON.stringify(second);
    const handle = await open(path, 'w');
    for (let at = 0; at < text.length; at += 4_000) {
      await handle.write(text.slice(at, at + 4_000));
      await new Promise((r) => setTimeout(r, 15));
    }
    await handle.close();
    await eventually(() => expect(file!.current().rules.rules).toHaveLength(2));
    clearInterval(sample);
    expect(partialReads).toBeGreaterThan(0); // it did read the text half-written
    // Only the whole old rules (1 rule) or the whole new ones (2 rules); never an empty or partial list.
    expect([...seen].sort()).toEqual([1, 2]);
    const consumersRule = file.current().rules.rules[0];
    expect(consumersRule?.kind === 'consumers' && consumersRule.ids.size).toBe(3_000);
    expect(file.status().lastError).toBeUndefined(); // the final text won: the partial reads left no error behind
  });
});
