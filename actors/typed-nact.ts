/**
 * The one place that touches nact. Its bundled typings are loose in strict mode (untyped `ctx`,
 * refs that accept any message), so this wrapper gives typed refs and messages, and an event-sourced actor shaped like Akka's
 * EventSourcedBehavior: a command handler returns the events to persist and the effects to run
 * after them; a pure event handler folds events into state, live and during recovery alike.
 */
import { createRequire } from 'node:module';
import type { PersistenceEngine, StoredSnapshot } from '../src/storage/persistence-engine.js';

const require = createRequire(import.meta.url);

declare const messageType: unique symbol;
/** A reference to an actor that accepts messages of type M. Opaque; `Ref<never>` stands for any ref. */
export interface Ref<M> { readonly [messageType]?: (message: M) => void }
export type SystemRef = Ref<never> & { readonly system: { name: string } };


export type SupervisionDecision = 'stop' | 'reset' | 'resume' | 'stopChild' | 'resetChild' | 'escalate';

interface NactContext { self: unknown; recovering?: boolean; persist?: (event: unknown) => Promise<void>; [k: string]: unknown }
type NactHandler = (state: unknown, msg: unknown, ctx: NactContext) => unknown;
interface NactProps {
  initialState?: unknown;
  shutdownAfter?: number;
  onCrash?: (msg: unknown, err: unknown, ctx: Record<string, symbol>, child?: unknown) => symbol | Promise<symbol>;
  afterStop?: (state: unknown) => void;
  snapshotEncoder?: (s: unknown) => unknown;
  snapshotDecoder?: (s: unknown) => unknown;
}
interface Nact {
  start(opts: { name: string }, ...plugins: unknown[]): unknown;
  spawn(parent: unknown, f: NactHandler, name: string, props: NactProps): unknown;
  spawnPersistent(parent: unknown, f: NactHandler, key: string, name: string, props: NactProps): unknown;
  dispatch(ref: unknown, msg: unknown): void;
  query(ref: unknown, make: (tmp: unknown) => unknown, ms: number): Promise<unknown>;
  stop(ref: unknown): void;
  configurePersistence(engine: PersistenceEngine): unknown;
}
const nact = require('nact') as Nact;
const persistence = require('nact/lib/persistence') as { PersistedSnapshot: new (data: unknown, seq: number, key: string) => StoredSnapshot };
const systemMap = require('nact/lib/system-map') as { find(systemName: string, ref: unknown): unknown };

export function startActorSystem(name: string, engine?: PersistenceEngine): SystemRef {
  const plugins = engine ? [nact.configurePersistence(engine)] : [];
  return nact.start({ name }, ...plugins) as SystemRef;
}

export const dispatch = <M>(ref: Ref<M>, message: M): void => nact.dispatch(ref, message);
export const stopActor = (ref: Ref<never>): void => nact.stop(ref);

/** Asks and waits; nact needs a timeout, and a crash inside shows up only as that timeout. */
export const query = <M, R>(ref: Ref<M>, make: (replyTo: Ref<R>) => M, timeoutMs: number): Promise<R> =>
  nact.query(ref, make as (tmp: unknown) => unknown, timeoutMs) as Promise<R>;

/** nact drops messages to stopped actors silently; callers that must not lose one check first. */
export function isAlive(ref: Ref<never>): boolean {
  const r = ref as { system?: { name?: string } };
  return r.system?.name !== undefined && systemMap.find(r.system.name, ref) !== undefined;
}

function supervisor(decide?: (err: unknown, msg: unknown, child?: Ref<unknown>) => SupervisionDecision | Promise<SupervisionDecision>) {
  if (!decide) return undefined;
  return async (msg: unknown, err: unknown, ctx: Record<string, symbol>, child?: unknown): Promise<symbol> => {
    const decision = await decide(err, msg, child as Ref<unknown> | undefined);
    const action = ctx[decision];
    if (!action) throw new Error(`unknown supervision decision ${decision}`);
    return action;
  };
}

export interface ActorOptions<S, M> {
  initialState: S;
  handle(state: S, message: M, self: Ref<M>): S | Promise<S>;
  onCrash?: (err: unknown, message: unknown, child?: Ref<unknown>) => SupervisionDecision | Promise<SupervisionDecision>;
  afterStop?: (state: S) => void;
}

export function spawnActor<S, M>(parent: Ref<never>, name: string, opts: ActorOptions<S, M>): Ref<M> {
  return nact.spawn(parent, (state, msg, ctx) => opts.handle(state as S, msg as M, ctx.self as Ref<M>), name, {
    initialState: opts.initialState,
    onCrash: supervisor(opts.onCrash),
    afterStop: opts.afterStop as ((s: unknown) => void) | undefined,
  }) as Ref<M>;
}

/** What a command handler asks for: events to persist, then effects that see the new state. */
export interface Effect<S, E> {
  persist?: E[];
  /** Runs only after every event is durable, never during recovery. */
  andThen?: (state: S) => void;
}

export interface EventSourcedOptions<S, C, E> {
  key: string;
  emptyState: S;
  onCommand(state: S, command: C, self: Ref<C>): Effect<S, E> | undefined | Promise<Effect<S, E> | undefined>;
  onEvent(state: S, event: E): S;
  /** Snapshot after every N events; awaited and reported, unlike nact's fire-and-forget ones. */
  snapshotEvery?: number;
  /** The engine the actor system was started with (nact keeps one per system); snapshots go through it. */
  engine: PersistenceEngine;
  onSnapshotFailed?: (err: unknown) => void;
  idleAfterMs?: number;
  onCrash?: (err: unknown, message: unknown, child?: Ref<unknown>) => SupervisionDecision | Promise<SupervisionDecision>;
  afterStop?: (state: S) => void;
}

interface Versioned<S> { state: S; seq: number }

/** The state inside a snapshot written by an event-sourced actor (for read-only folds elsewhere). */
export const snapshotState = <S>(data: unknown): S => (data as Versioned<S>).state;

export function spawnEventSourced<S, C, E>(parent: Ref<never>, name: string, opts: EventSourcedOptions<S, C, E>): Ref<C> {
  const handler = async (raw: unknown, msg: unknown, ctx: NactContext): Promise<Versioned<S>> => {
    const current = raw as Versioned<S>;
    if (ctx.recovering) return { state: opts.onEvent(current.state, msg as E), seq: current.seq + 1 };
    const effect = await opts.onCommand(current.state, msg as C, ctx.self as Ref<C>);
    let next = current;
    for (const event of effect?.persist ?? []) {
      await ctx.persist!(event);
      next = { state: opts.onEvent(next.state, event), seq: next.seq + 1 };
      if (opts.snapshotEvery && next.seq % opts.snapshotEvery === 0) {
        await opts.engine.takeSnapshot(new persistence.PersistedSnapshot(next, next.seq, opts.key)).catch((e: unknown) => opts.onSnapshotFailed?.(e));
      }
    }
    effect?.andThen?.(next.state);
    return next;
  };
  const initial: Versioned<S> = { state: opts.emptyState, seq: 0 };
  return nact.spawnPersistent(parent, handler as NactHandler, opts.key, name, {
    initialState: initial,
    shutdownAfter: opts.idleAfterMs,
    onCrash: supervisor(opts.onCrash),
    afterStop: opts.afterStop && ((v: unknown) => opts.afterStop!((v as Versioned<S>).state)),
  }) as Ref<C>;
}
