import { describe, expect, it } from 'vitest';
import { orderIdInPool, poolOfOrder } from '../../cluster/routing/order-pool.js';
import { consumerBucket, NO_SANDBOX_RULES, parseSandboxRules, routeOrder, SandboxRulesError } from '../../cluster/routing/sandbox-rules.js';

const rules = (doc: unknown) => parseSandboxRules(JSON.stringify(doc));
/** The problems a document is refused with (the test fails if it is accepted). */
function problemsOf(text: string): string[] {
  try {
    parseSandboxRules(text);
  } catch (err) {
    if (err instanceof SandboxRulesError) return err.problems;
    throw err;
  }
  throw new Error('the rules were accepted');
}
const consumers = (n: number, prefix = 'c-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('sandbox rules: which orders go to the sandbox', () => {
  it('without rules every order runs in main', () => {
    expect(routeOrder(NO_SANDBOX_RULES, { consumerId: 'c-1', merchantId: 'm-1' })).toBe('main');
    expect(routeOrder(rules({ rules: [] }), { consumerId: 'c-1', merchantId: 'm-1' })).toBe('main');
  });

  it('a consumer rule sends exactly the listed consumers\' orders to the sandbox, whatever the merchant', () => {
    const r = rules({ rules: [{ consumerIds: ['c-beta-1', 'c-beta-2'] }] });
    expect(routeOrder(r, { consumerId: 'c-beta-1', merchantId: 'm-1' })).toBe('sandbox');
    expect(routeOrder(r, { consumerId: 'c-beta-2', merchantId: 'm-9' })).toBe('sandbox');
    expect(routeOrder(r, { consumerId: 'c-beta-3', merchantId: 'm-1' })).toBe('main');
    expect(routeOrder(r, { consumerId: 'c-beta-1x', merchantId: 'm-1' })).toBe('main');
  });

  it('a merchant rule sends every order to the listed merchants to the sandbox, whoever the consumer', () => {
    const r = rules({ rules: [{ merchantIds: ['m-7'] }] });
    expect(routeOrder(r, { consumerId: 'c-1', merchantId: 'm-7' })).toBe('sandbox');
    expect(routeOrder(r, { consumerId: 'c-2', merchantId: 'm-7' })).toBe('sandbox');
    expect(routeOrder(r, { consumerId: 'c-1', merchantId: 'm-70' })).toBe('main');
  });

  it('an order goes to the sandbox when any rule matches it', () => {
    const r = rules({ rules: [{ consumerIds: ['c-beta'] }, { merchantIds: ['m-7'] }] });
    expect(routeOrder(r, { consumerId: 'c-beta', merchantId: 'm-1' })).toBe('sandbox');
    expect(routeOrder(r, { consumerId: 'c-1', merchantId: 'm-7' })).toBe('sandbox');
    expect(routeOrder(r, { consumerId: 'c-1', merchantId: 'm-1' })).toBe('main');
  });

  it('a percentage picks each consumer by a stable hash: all of one consumer\'s orders go the same way', () => {
    const r = rules({ rules: [{ percent: 50 }] });
    for (const consumerId of consumers(200)) {
      const pools = new Set(['m-1', 'm-2', 'm-3', 'm-4'].map((merchantId) => routeOrder(r, { consumerId, merchantId })));
      expect(pools.size).toBe(1);
      // The same answer from a freshly parsed copy (another node, or after a restart).
      expect(routeOrder(rules({ rules: [{ percent: 50 }] }), { consumerId, merchantId: 'm-1' })).toBe([...pools][0]);
    }
    // Pinned: if the hash changed between releases, consumers would switch pools mid-flight.
    expect([consumerBucket('c-1'), consumerBucket('c-beta-1'), consumerBucket('')]).toEqual([6503, 271, 2610]);
  });

  it('a percentage sends roughly that share of consumers, 0 none and 100 all', () => {
    const ids = consumers(20_000, 'c-load-');
    const share = (percent: number) => {
      const r = rules({ rules: [{ percent }] });
      return ids.filter((consumerId) => routeOrder(r, { consumerId, merchantId: 'm-1' }) === 'sandbox').length / ids.length;
    };
    expect(share(0)).toBe(0);
    expect(share(100)).toBe(1);
    expect(share(5)).toBeGreaterThan(0.04);
    expect(share(5)).toBeLessThan(0.06);
    expect(share(30)).toBeGreaterThan(0.28);
    expect(share(30)).toBeLessThan(0.32);
    expect(share(0.5)).toBeGreaterThan(0.003);
    expect(share(0.5)).toBeLessThan(0.007);
  });

  it('raising a percentage only adds consumers: those already in the sandbox stay', () => {
    const five = rules({ rules: [{ percent: 5 }] });
    const twenty = rules({ rules: [{ percent: 20 }] });
    for (const consumerId of consumers(5_000)) {
      if (routeOrder(five, { consumerId, merchantId: 'm-1' }) === 'sandbox') expect(routeOrder(twenty, { consumerId, merchantId: 'm-1' })).toBe('sandbox');
    }
  });
});

describe('sandbox rules: a bad document is refused whole, naming the bad rule', () => {
  it('names the rule and the field for each problem', () => {
    const problems = problemsOf(JSON.stringify({
      rules: [
        { consumerIds: ['c-ok'] },
        { percent: 150 },
        { name: 'beta merchants', merchantIds: [] },
        { consumerIds: 'c-1' },
      ],
    }));
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^rule 2: percent: must be between 0 and 100/);
    expect(problems[1]).toMatch(/^rule 3 \("beta merchants"\): merchantIds: list at least one id/);
    expect(problems[2]).toMatch(/^rule 4: consumerIds: /);
  });

  it('refuses a rule of no known kind, naming what it found (a typo must not silently match nothing)', () => {
    expect(problemsOf('{"rules":[{"consumerID":["c-1"]}]}')).toEqual(['rule 1: needs exactly one of consumerIds, merchantIds, percent (found consumerID)']);
    expect(problemsOf('{"rules":[{}]}')).toEqual(['rule 1: needs exactly one of consumerIds, merchantIds, percent']);
    expect(problemsOf('{"rules":["c-1"]}')[0]).toMatch(/^rule 1: must be an object/);
  });

  it('refuses a rule with two kinds (each rule is one condition; list several rules for "any of")', () => {
    expect(problemsOf('{"rules":[{"consumerIds":["c-1"],"merchantIds":["m-1"]}]}')).toEqual([
      'rule 1: needs exactly one of consumerIds, merchantIds, percent (has consumerIds and merchantIds: use one rule for each)',
    ]);
  });

  it('refuses unknown fields in a rule and empty ids', () => {
    expect(problemsOf('{"rules":[{"percent":5,"salt":"x"}]}')[0]).toMatch(/^rule 1: .*salt/);
    expect(problemsOf('{"rules":[{"consumerIds":["c-1", "  "]}]}')[0]).toMatch(/^rule 1: consumerIds\.1: ids must not be empty/);
    expect(problemsOf('{"rules":[{"percent":"5"}]}')[0]).toMatch(/^rule 1: percent: /);
  });

  it('refuses text that is not JSON, and JSON that is not a rules document', () => {
    expect(problemsOf('{"rules": [ { "consumerIds": ["c-1"] }')[0]).toMatch(/^not valid JSON: /);
    expect(problemsOf('')[0]).toMatch(/^not valid JSON/);
    expect(problemsOf('[]')[0]).toMatch(/^document: .*expected \{ "rules"/);
    expect(problemsOf('{"rule":[]}').join('\n')).toMatch(/rule/);
    expect(problemsOf('{"rules":{}}')[0]).toMatch(/^rules: /);
  });

  it('says all of it in the error message', () => {
    const err = (() => { try { parseSandboxRules('{"rules":[{"percent":-1}]}'); } catch (e) { return e as Error; } return undefined; })();
    expect(err).toBeInstanceOf(SandboxRulesError);
    expect(err?.message).toMatch(/invalid sandbox rules:\n {2}rule 1: percent: must be between 0 and 100/);
  });
});

describe('an order\'s pool travels in its id', () => {
  it('a sandbox order\'s id says sandbox; a main order\'s id is the plain id', () => {
    expect(poolOfOrder(orderIdInPool('o-123', 'sandbox'))).toBe('sandbox');
    expect(orderIdInPool('o-123', 'main')).toBe('o-123');
    expect(poolOfOrder('o-123')).toBe('main');
    expect(orderIdInPool('o-123', 'sandbox')).toMatch(/^[\w.:-]{1,80}$/); // still a valid order id at the edge
  });
});
