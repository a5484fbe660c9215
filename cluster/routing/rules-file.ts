import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '../../src/observability/logger.js';
import { NO_SANDBOX_RULES, parseSandboxRules, type SandboxRule, type SandboxRules } from './sandbox-rules.js';

/** The rules in force, and which load of the file they came from (for logs and metrics). */
export interface LoadedRules {
  rules: SandboxRules;
  /** 0 while no file has been loaded (everything main), then 1, 2, … per successful load. */
  version: number;
  /** Epoch ms of the load; undefined for version 0. */
  loadedAt?: number;
  /** sha256 of the file's bytes, to tell which text is in force. */
  sha256?: string;
}

export interface RulesFileStatus extends LoadedRules {
  path?: string;
  /** The last refused file (bad JSON, bad rule, unreadable) since the last good load. */
  lastError?: { message: string; at: number };
}

export interface RulesFile {
  current(): LoadedRules;
  status(): RulesFileStatus;
  /** Reads the file now (the watcher does this by itself); resolves once any change is applied. */
  check(): Promise<void>;
  stop(): void;
}

export interface RulesFileOptions {
  /** The rules file; none means no sandbox routing (everything main). */
  path?: string;
  logger: Logger;
  /** How often the file is re-read; the guarantee behind the faster but unreliable fs.watch. */
  pollMs?: number;
  /** Also react to fs.watch events at once (default true); polling alone when false. */
  watch?: boolean;
  onLoaded?(loaded: LoadedRules): void;
  onRefused?(message: string): void;
}

/**
 * The sandbox rules from a file, reloaded when the file changes, without a restart. The file is
 * re-read every `pollMs` and on fs.watch events of its directory (so an editor that writes a new
 * file and renames it over the old one is seen too); a change is found by the content's hash.
 * A new text is used only if it parses and validates completely: otherwise the last good rules
 * stay in force and the problem is logged once per bad text. A missing file keeps them too (to
 * send everything to main, write `{ "rules": [] }`). Nothing here throws to the caller.
 */
export function watchRulesFile(opts: RulesFileOptions): RulesFile {
  const log = opts.logger;
  const path = opts.path;
  let loaded: LoadedRules = { rules: NO_SANDBOX_RULES, version: 0 };
  let lastError: RulesFileStatus['lastError'];
  /** The hash of the last text looked at, good or bad, so one text is handled (and logged) once. */
  let seen: string | undefined;
  let missing = false;

  const apply = (text: string) => {
    missing = false;
    const sha256 = createHash('sha256').update(text).digest('hex');
    if (sha256 === seen) return;
    seen = sha256;
    try {
      const rules = parseSandboxRules(text);
      loaded = { rules, version: loaded.version + 1, loadedAt: Date.now(), sha256 };
      lastError = undefined;
      log.info({ path, version: loaded.version, sha256: sha256.slice(0, 12), rules: rules.rules.map(describeRule) }, 'sandbox rules loaded');
      opts.onLoaded?.(loaded);
    } catch (err) {
      refuse((err as Error).message);
    }
  };

  const refuse = (message: string) => {
    lastError = { message, at: Date.now() };
    log.error({ path, inForce: loaded.version, problem: message }, 'sandbox rules file refused: keeping the rules in force');
    opts.onRefused?.(message);
  };

  const unreadable = (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') {
      if (missing) return;
      missing = true;
      log.warn({ path, inForce: loaded.version }, 'sandbox rules file is missing: keeping the rules in force');
      return;
    }
    const message = `cannot read ${path}: ${err.message}`;
    if (lastError?.message !== message) refuse(message);
  };

  if (!path) {
    return { current: () => loaded, status: () => ({ ...loaded }), check: async () => undefined, stop: () => undefined };
  }

  // The first load is synchronous: the node routes by the file from its very first order.
  try {
    apply(readFileSync(path, 'utf8'));
  } catch (err) {
    unreadable(err as NodeJS.ErrnoException);
  }

  let running: Promise<void> | undefined;
  let again = false;
  const check = (): Promise<void> => {
    if (running) { again = true; return running; }
    running = (async () => {
      do {
        again = false;
        try {
          apply(await readFile(path, 'utf8'));
        } catch (err) {
          unreadable(err as NodeJS.ErrnoException);
        }
      } while (again);
    })().finally(() => { running = undefined; });
    return running;
  };

  const timer = setInterval(() => void check(), opts.pollMs ?? 1_000);
  timer.unref();
  let debounce: NodeJS.Timeout | undefined;
  const watcher = opts.watch === false ? undefined : watchFile(path, () => {
    clearTimeout(debounce);
    // Let a writer finish: a half-written text would be refused (and logged) for nothing.
    debounce = setTimeout(() => void check(), 50);
    debounce.unref();
  });

  return {
    current: () => loaded,
    status: () => ({ ...loaded, path, ...(lastError ? { lastError } : {}) }),
    check,
    stop() {
      clearInterval(timer);
      clearTimeout(debounce);
      watcher?.close();
    },
  };
}

/**
 * Calls `changed` on fs.watch events for the file. Watches its directory, not the file: a file
 * replaced by rename is a new inode that a watch on the old one never reports. Undefined where
 * fs.watch is unavailable (polling alone then).
 */
function watchFile(path: string, changed: () => void): FSWatcher | undefined {
  try {
    const watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
      if (!name || name.toString() === basename(path)) changed();
    });
    watcher.on('error', () => watcher.close());
    return watcher;
  } catch {
    return undefined;
  }
}

function describeRule(rule: SandboxRule): string {
  const named = rule.name ? `${rule.name}: ` : '';
  if (rule.kind === 'percent') return `${named}${rule.percent}% of consumers`;
  return `${named}${rule.ids.size} ${rule.kind === 'consumers' ? 'consumer' : 'merchant'} id(s)`;
}
