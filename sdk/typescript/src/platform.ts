// Everything that differs between Node, Bun, Deno, edge runtimes and browsers lives here,
// so the rest of the SDK only sees small, always-available functions.

// The compile target has no Node types on purpose: the emitted declarations must not depend
// on them. These are the few shapes we touch, all optional at run time.
interface ProcessLike {
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
  on?: (event: string, listener: (...args: unknown[]) => void) => unknown;
  off?: (event: string, listener: (...args: unknown[]) => void) => unknown;
  removeListener?: (event: string, listener: (...args: unknown[]) => void) => unknown;
  getBuiltinModule?: (id: string) => unknown;
}

interface AsyncLocalStorageLike<T> {
  getStore(): T | undefined;
  run<A, R>(store: T, fn: (arg: A) => R, arg: A): R;
}

type AsyncLocalStorageCtor = new <T>() => AsyncLocalStorageLike<T>;

interface GlobalLike {
  process?: ProcessLike;
  AsyncLocalStorage?: AsyncLocalStorageCtor;
  Deno?: { env?: { get(name: string): string | undefined }; unrefTimer?: (id: number) => void };
  document?: { visibilityState?: string; addEventListener?: (ev: string, fn: () => void) => void };
  addEventListener?: (ev: string, fn: () => void) => void;
  removeEventListener?: (ev: string, fn: () => void) => void;
  performance?: { now(): number };
}

const g = globalThis as unknown as GlobalLike;

function getProcess(): ProcessLike | undefined {
  const p = g.process;
  return p !== null && typeof p === 'object' ? p : undefined;
}

/** True on Node and on runtimes that emulate it (Bun, Deno). */
export const isNodeLike = typeof getProcess()?.versions?.node === 'string';

/** Reads an environment variable where the runtime has an environment; never throws. */
export function readEnv(name: string): string | undefined {
  try {
    const v = getProcess()?.env?.[name];
    if (typeof v === 'string' && v !== '') return v;
  } catch {
    // Some sandboxes throw on env access.
  }
  try {
    // Deno without --allow-env throws here; treat that as "not set".
    const v = g.Deno?.env?.get(name);
    if (typeof v === 'string' && v !== '') return v;
  } catch {
    /* not permitted */
  }
  return undefined;
}

const perf = g.performance && typeof g.performance.now === 'function' ? g.performance : undefined;

/** Monotonic milliseconds with sub-millisecond precision where the runtime offers it. */
export const monotonicNow: () => number = perf ? () => perf.now() : () => Date.now();

/** Keeps a timer from holding the process open (Node, Bun, Deno). */
export function unrefTimer(t: unknown): void {
  try {
    if (t !== null && typeof t === 'object' && typeof (t as { unref?: unknown }).unref === 'function') {
      (t as { unref(): void }).unref();
    } else if (typeof t === 'number' && typeof g.Deno?.unrefTimer === 'function') {
      g.Deno.unrefTimer(t);
    }
  } catch {
    /* best effort */
  }
}

/** Lets a timer hold the process open again (used while flushing at exit). */
export function refTimer(t: unknown): void {
  try {
    if (t !== null && typeof t === 'object' && typeof (t as { ref?: unknown }).ref === 'function') {
      (t as { ref(): void }).ref();
    }
  } catch {
    /* best effort */
  }
}

/**
 * Registers `fn` to run when the program is about to end: Node's `beforeExit` (the event loop
 * is empty, async work is still allowed) or a browser page being hidden. Returns the remover.
 */
export function onShutdownSignal(fn: (kind: 'exit' | 'hidden') => void): () => void {
  const proc = getProcess();
  if (isNodeLike && proc && typeof proc.on === 'function') {
    const listener = (): void => fn('exit');
    proc.on('beforeExit', listener);
    return () => {
      try {
        (proc.off ?? proc.removeListener)?.call(proc, 'beforeExit', listener);
      } catch {
        /* ignore */
      }
    };
  }
  const doc = g.document;
  if (doc && typeof g.addEventListener === 'function') {
    // pagehide and visibilitychange are the last moments a page can still send data.
    const onHidden = (): void => {
      if (doc.visibilityState === 'hidden') fn('hidden');
    };
    const onPageHide = (): void => fn('hidden');
    g.addEventListener('visibilitychange', onHidden);
    g.addEventListener('pagehide', onPageHide);
    return () => {
      g.removeEventListener?.('visibilitychange', onHidden);
      g.removeEventListener?.('pagehide', onPageHide);
    };
  }
  return () => {};
}

/** Where the current span lives while user code runs. */
export interface ContextStore<T> {
  get(): T | undefined;
  run<A, R>(value: T, fn: (arg: A) => R, arg: A): R;
  /** True when the active value survives `await` (AsyncLocalStorage is available). */
  readonly async: boolean;
}

/**
 * Without AsyncLocalStorage the active span is kept only while the traced function runs
 * synchronously: calls made before its first `await` still nest, later ones start new traces
 * (never a wrong parent). Pass `ctx` explicitly (`ctx.span(...)`) to nest across awaits there.
 */
class SyncStore<T> implements ContextStore<T> {
  private current: T | undefined;
  readonly async = false;
  get(): T | undefined {
    return this.current;
  }
  run<A, R>(value: T, fn: (arg: A) => R, arg: A): R {
    const prev = this.current;
    this.current = value;
    try {
      return fn(arg);
    } finally {
      this.current = prev;
    }
  }
}

class AlsStore<T> implements ContextStore<T> {
  readonly async = true;
  constructor(private readonly als: AsyncLocalStorageLike<T>) {}
  get(): T | undefined {
    return this.als.getStore();
  }
  run<A, R>(value: T, fn: (arg: A) => R, arg: A): R {
    return this.als.run(value, fn, arg);
  }
}

function asCtor(mod: unknown): AsyncLocalStorageCtor | undefined {
  const c = (mod as { AsyncLocalStorage?: unknown } | undefined)?.AsyncLocalStorage;
  return typeof c === 'function' ? (c as AsyncLocalStorageCtor) : undefined;
}

// Declared rather than imported: `require` exists only in the CommonJS build on Node.
declare const require: ((id: string) => unknown) | undefined;

function findAsyncLocalStorageSync(): AsyncLocalStorageCtor | undefined {
  // Vercel's edge runtime (and others) expose it as a global.
  if (typeof g.AsyncLocalStorage === 'function') return g.AsyncLocalStorage;
  if (!isNodeLike) return undefined;
  try {
    // Node >= 20.16 / 22.3, Bun and Deno 2: synchronous and bundler-invisible.
    const c = asCtor(getProcess()?.getBuiltinModule?.('node:async_hooks'));
    if (c) return c;
  } catch {
    /* fall through */
  }
  try {
    // The CommonJS build on older Node.
    if (typeof require === 'function') return asCtor(require('node:async_hooks'));
  } catch {
    /* fall through */
  }
  return undefined;
}

/** Switches from the sync fallback to AsyncLocalStorage once it is loaded. */
class UpgradableStore<T> implements ContextStore<T> {
  private impl: ContextStore<T>;
  constructor(initial: ContextStore<T>) {
    this.impl = initial;
  }
  get async(): boolean {
    return this.impl.async;
  }
  upgrade(impl: ContextStore<T>): void {
    this.impl = impl;
  }
  get(): T | undefined {
    return this.impl.get();
  }
  run<A, R>(value: T, fn: (arg: A) => R, arg: A): R {
    return this.impl.run(value, fn, arg);
  }
}

/** Creates the best context store this runtime offers. */
export function createContextStore<T>(): ContextStore<T> {
  const Ctor = findAsyncLocalStorageSync();
  if (Ctor) return new AlsStore<T>(new Ctor<T>());
  const store = new UpgradableStore<T>(new SyncStore<T>());
  if (isNodeLike) {
    // The ES module build on Node 18 / early 20: load it asynchronously. The specifier is a
    // variable so that browser bundlers do not try to resolve a Node built-in.
    const spec = 'node:async_hooks';
    import(/* webpackIgnore: true */ /* @vite-ignore */ spec).then(
      (mod: unknown) => {
        const c = asCtor(mod);
        if (c) store.upgrade(new AlsStore<T>(new c<T>()));
      },
      () => {},
    );
  }
  return store;
}
