// Turning arbitrary user values into the strings and JSON objects the API accepts.
// None of these functions throws, whatever the value (cycles, BigInt, throwing getters...).

/** Cuts `s` to at most `max` characters, saying how much was cut, without splitting a surrogate pair. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const code = s.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${s.slice(0, end)}…[truncated ${s.length - end} chars]`;
}

function describeBinary(v: ArrayBufferView | ArrayBuffer): string {
  const name = (v as { constructor?: { name?: string } }).constructor?.name ?? 'Binary';
  return `[${name} ${v.byteLength} bytes]`;
}

/**
 * JSON.stringify that survives anything: cycles become "[Circular]", BigInt becomes a string,
 * Errors keep name and message, Maps and Sets become objects and arrays, binary data is
 * summarised. Returns undefined only for undefined/functions/symbols at the top level.
 */
export function safeStringify(value: unknown): string | undefined {
  // Ancestors of the value being visited: a value is circular only if it is its own ancestor,
  // so an object shared by two branches is still written twice.
  const stack: unknown[] = [];
  const replacer = function (this: unknown, _key: string, v: unknown): unknown {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'function' || typeof v === 'symbol') return undefined;
    if (v === null || typeof v !== 'object') return v;
    if (stack.length > 0) {
      const pos = stack.indexOf(this);
      if (pos !== -1) stack.length = pos + 1;
      else stack.push(this);
      if (stack.includes(v)) return '[Circular]';
    } else {
      stack.push(this);
    }
    if (v instanceof Error) {
      const out: Record<string, unknown> = { name: v.name, message: v.message };
      const code = (v as { code?: unknown }).code;
      if (code !== undefined) out['code'] = code;
      return out;
    }
    if (v instanceof Map) {
      const out: Record<string, unknown> = {};
      for (const [k, val] of v) out[typeof k === 'string' ? k : String(k)] = val;
      return out;
    }
    if (v instanceof Set) return Array.from(v);
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return describeBinary(v);
    return v;
  };
  try {
    return JSON.stringify(value, replacer);
  } catch {
    try {
      return JSON.stringify(`[unserializable ${Object.prototype.toString.call(value)}]`);
    } catch {
      return '"[unserializable]"';
    }
  }
}

/** A value as the text stored in `input`/`output`: strings as they are, the rest as JSON. */
export function toText(value: unknown, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return truncate(value, max);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Error) return truncate(`${value.name}: ${value.message}`, max);
  const s = safeStringify(value);
  return s === undefined ? undefined : truncate(s, max);
}

/** Error text for `status_message` / `error_message`. */
export function errorText(err: unknown, max: number): { type: string; message: string } {
  try {
    if (err instanceof Error) {
      const type = err.name || err.constructor?.name || 'Error';
      return { type, message: truncate(`${type}: ${err.message}`, max) };
    }
    if (typeof err === 'string') return { type: 'Error', message: truncate(err, max) };
    const name = (err as { name?: unknown } | null)?.name;
    return {
      type: typeof name === 'string' && name !== '' ? name : typeof err,
      message: truncate(toText(err, max) ?? String(err), max),
    };
  } catch {
    return { type: 'Error', message: '[unprintable error]' };
  }
}

/** UTF-8 length of `s`, exact, without allocating for ASCII-only strings. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/**
 * The JSON text of a plain object of at most `maxBytes` UTF-8 bytes (the API limit for
 * `metadata` and `attributes`). Too large objects become a preview rather than a rejection.
 */
export function toJsonObjectText(value: Record<string, unknown>, maxBytes: number): string | undefined {
  const s = safeStringify(value);
  if (s === undefined || s === '{}' || s.charCodeAt(0) !== 123 /* { */) return undefined;
  if (s.length * 3 > maxBytes && utf8Length(s) > maxBytes) {
    return JSON.stringify({ _truncated: true, preview: truncate(s, Math.floor(maxBytes / 8)) });
  }
  return s;
}
