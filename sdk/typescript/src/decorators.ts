// `@obs.trace()` for both decorator flavours, and the function wrapper behind it and `obs.wrap`.

import type { TraceContext } from './context.js';
import type { TraceOptions } from './models.js';

/** What the decorator needs from the client. */
export interface Runner {
  readonly enabled: boolean;
  readonly captureInput: boolean;
  /** @internal */
  _run<R>(options: TraceOptions, fn: (ctx: TraceContext) => R): R;
}

/**
 * A method decorator usable with TypeScript 5 standard decorators and with
 * `experimentalDecorators` (legacy) alike.
 */
export interface TraceDecorator {
  // Standard (TC39) decorators: (method, context).
  <This, Args extends unknown[], Return>(
    value: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
  // experimentalDecorators: (prototype, key, descriptor).
  <T>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T> | void;
}

function className(self: unknown): string | undefined {
  try {
    if (typeof self === 'function') return (self as { name?: string }).name || undefined; // static method
    if (self !== null && typeof self === 'object') {
      const n = (self as { constructor?: { name?: string } }).constructor?.name;
      return n && n !== 'Object' ? n : undefined;
    }
  } catch {
    /* exotic receivers */
  }
  return undefined;
}

/** Wraps `fn` so that each call is a traced span; `this`, arguments and results pass through. */
export function wrapFunction<F extends (...args: never[]) => unknown>(
  runner: Runner,
  fn: F,
  options: TraceOptions,
  methodName?: string,
): F {
  const fixedName = options.name;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    // Disabled: no bookkeeping at all, just the call.
    if (!runner.enabled) return (fn as unknown as (...a: unknown[]) => unknown).apply(this, args);
    let name = fixedName;
    if (name === undefined) {
      const cls = methodName !== undefined ? className(this) : undefined;
      name = cls ? `${cls}.${methodName}` : methodName || fn.name || 'function';
    }
    const capture = options.captureInput ?? runner.captureInput;
    const o: TraceOptions = { ...options, name };
    if (o.input === undefined && capture && args.length > 0) o.input = args.length === 1 ? args[0] : args;
    return runner._run(o, () => (fn as unknown as (...a: unknown[]) => unknown).apply(this, args));
  };
  try {
    Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
    Object.defineProperty(wrapped, 'length', { value: fn.length, configurable: true });
  } catch {
    /* cosmetic only */
  }
  return wrapped as unknown as F;
}

export function makeDecorator(runner: Runner, options: TraceOptions): TraceDecorator {
  function decorator(...args: unknown[]): unknown {
    const [first, second, third] = args;
    // Standard decorators pass (value, context) with context.kind.
    if (
      args.length === 2 &&
      second !== null &&
      typeof second === 'object' &&
      typeof (second as { kind?: unknown }).kind === 'string'
    ) {
      const ctx = second as ClassMethodDecoratorContext;
      if (ctx.kind !== 'method' || typeof first !== 'function') return first;
      return wrapFunction(runner, first as (...a: never[]) => unknown, options, String(ctx.name));
    }
    // Legacy decorators pass (prototype or class, key, descriptor).
    const descriptor = third as PropertyDescriptor | undefined;
    if (descriptor && typeof descriptor.value === 'function') {
      descriptor.value = wrapFunction(runner, descriptor.value as (...a: never[]) => unknown, options, String(second));
      return descriptor;
    }
    return descriptor;
  }
  return decorator as TraceDecorator;
}
