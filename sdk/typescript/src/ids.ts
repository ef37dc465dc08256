// Random trace and span ids. Ids must be unique, not secret: bytes come from
// crypto.getRandomValues in blocks (fast per id) and from Math.random where there is no
// Web Crypto (Node 18 without the global).

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

interface CryptoLike {
  getRandomValues<T extends ArrayBufferView>(a: T): T;
}
const cryptoObj = (globalThis as { crypto?: CryptoLike }).crypto;
const hasCrypto = cryptoObj !== undefined && typeof cryptoObj.getRandomValues === 'function';

const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let pos = POOL_SIZE;

function refill(): void {
  if (hasCrypto) {
    try {
      cryptoObj.getRandomValues(pool);
      pos = 0;
      return;
    } catch {
      /* fall back */
    }
  }
  for (let i = 0; i < POOL_SIZE; i++) pool[i] = (Math.random() * 256) | 0;
  pos = 0;
}

function randomHex(bytes: number): string {
  if (pos + bytes > POOL_SIZE) refill();
  let s = '';
  for (let i = 0; i < bytes; i++) s += HEX[pool[pos++]!];
  return s;
}

/** 32 hex characters, the W3C trace-context size. */
export function newTraceId(): string {
  return randomHex(16);
}

/** 16 hex characters. */
export function newSpanId(): string {
  return randomHex(8);
}
