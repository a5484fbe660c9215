import { describe, it } from 'vitest';

/*
 * Suites that need something a machine may lack (a browser, the project's own broker). On a
 * developer's machine they are skipped, saying why; in CI (`CI` set, as `.ci/run` does) a missing
 * prerequisite is a failure, so a green run cannot hide a suite that never ran.
 */

/** Whether this run is CI: `CI` set to anything but empty, `0` or `false` (GitHub, GitLab and `.ci/run` set `CI=true`). */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env.CI ?? '').trim().toLowerCase();
  return value !== '' && value !== '0' && value !== 'false';
}

/**
 * `describe(name, body)` when `missing` is undefined. Otherwise, in CI, a suite of one failing test
 * that names what is missing; elsewhere the suite is skipped with a warning naming it.
 */
export function describeRequiring(missing: string | undefined, name: string, body: () => void): void {
  if (missing === undefined) {
    describe(name, body);
  } else if (inCi()) {
    describe(name, () => {
      it('has what it needs to run (CI does not pass with this suite skipped)', () => {
        throw new Error(`${name}: ${missing}`);
      });
    });
  } else {
    console.warn(`${name}: SKIPPED, ${missing}`);
    describe.skip(name, body);
  }
}
