// The package as users get it: both module formats, the packed file list, and runtimes
// without Node's AsyncLocalStorage.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esm from '@agent-observability/sdk';

const pkgDir = fileURLToPath(new URL('../../', import.meta.url));
const esmEntry = pathToFileURL(join(pkgDir, 'dist/esm/index.js')).href;

function runModule(script: string): string {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: pkgDir });
  assert.equal(r.status, 0, `child failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout.trim();
}

test('ESM and CommonJS builds export the same API; a CJS consumer type-checks and runs', () => {
  const cjs = createRequire(import.meta.url)('@agent-observability/sdk') as Record<string, unknown>;
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).sort());
  assert.deepEqual(Object.keys(esm).sort(), ['AgentObservability', 'EVENT_TYPES', 'ExportError', 'SDK_VERSION', 'TraceContext', 'wrapOpenAI']);
  const out = execFileSync(process.execPath, [join(pkgDir, 'build/tests/cjs-consumer.cjs')], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), { out: 42, kind: 'tool', wrap: 'function' });
});

test('package.json: no runtime dependencies, exports map with types for both formats', () => {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(pkg['dependencies'], undefined);
  assert.equal(pkg['version'], esm.SDK_VERSION);
  const exp = (pkg['exports'] as Record<string, Record<string, Record<string, string>>>)['.']!;
  assert.deepEqual(Object.keys(exp['import']!), ['types', 'default']);
  assert.deepEqual(Object.keys(exp['require']!), ['types', 'default']);
  // The emitted declarations must not need Node's types.
  for (const f of ['dist/esm/index.d.ts', 'dist/esm/client.d.ts', 'dist/esm/platform.d.ts', 'dist/cjs/index.d.ts']) {
    assert.doesNotMatch(readFileSync(join(pkgDir, f), 'utf8'), /reference types="node"|NodeJS\./);
  }
});

test('npm pack makes a package that installs, type-checks and runs in both formats', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'agentobs-pack-'));
  try {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: pkgDir, encoding: 'utf8' }),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0]!.files.map((f) => f.path).sort();
    for (const f of ['README.md', 'package.json', 'dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json']) {
      assert.ok(files.includes(f), `${f} is packed`);
    }
    const allowed = /^(README\.md|package\.json|dist\/(esm|cjs)\/[\w-]+\.(js|d\.ts)|dist\/cjs\/package\.json)$/;
    assert.ok(files.every((f) => allowed.test(f)), files.join('\n'));

    // A consumer project: installs the tarball offline (no dependencies to fetch).
    const app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(tmp, packed[0]!.filename)], {
      cwd: app,
      stdio: 'ignore',
    });
    writeFileSync(
      join(app, 'esm.ts'),
      `import { AgentObservability, wrapOpenAI, type TraceContext } from '@agent-observability/sdk';
const obs = new AgentObservability({ enabled: false });
class Agent {
  @obs.trace({ agentId: 'a' })
  async run(input: string): Promise<string> { return input; }
}
const n: number = await obs.trace('x', async (ctx: TraceContext) => { ctx.setTokens(1, 2).setCost(0.1); return 1; });
console.log(JSON.stringify({ n, run: await new Agent().run('ok'), wrap: typeof wrapOpenAI }));
`,
    );
    writeFileSync(
      join(app, 'cjs.cts'),
      `import sdk = require('@agent-observability/sdk');
const obs = new sdk.AgentObservability({ enabled: false });
console.log(JSON.stringify({ n: obs.trace('y', () => 2) }));
`,
    );
    // No Node types: the declarations must stand on the language and web globals alone.
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022', 'DOM'], types: [], strict: true, skipLibCheck: false, outDir: 'out' },
        include: ['esm.ts', 'cjs.cts'],
      }),
    );
    execFileSync(process.execPath, [join(pkgDir, 'node_modules/typescript/bin/tsc'), '-p', join(app, 'tsconfig.json')], { stdio: 'inherit' });
    assert.deepEqual(JSON.parse(execFileSync(process.execPath, [join(app, 'out/esm.js')], { encoding: 'utf8' })), { n: 1, run: 'ok', wrap: 'function' });
    assert.deepEqual(JSON.parse(execFileSync(process.execPath, [join(app, 'out/cjs.cjs')], { encoding: 'utf8' })), { n: 2 });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('without AsyncLocalStorage (browsers, edge): synchronous nesting and explicit ctx still work', () => {
  const out = runModule(`
    // Look like a runtime that is not Node: no AsyncLocalStorage to be found.
    Object.defineProperty(process.versions, 'node', { value: undefined });
    const { AgentObservability } = await import(${JSON.stringify(esmEntry)});
    const sent = [];
    const fetch = async (url, init) => { sent.push(...JSON.parse(init.body).traces); return { status: 202, headers: { get: () => null }, text: async () => '' }; };
    const obs = new AgentObservability({ apiKey: 'k', baseUrl: 'http://x', fetch });
    await obs.trace('root', async (ctx) => {
      obs.trace('sync-child', () => 1);
      await Promise.resolve();
      await ctx.span('explicit-child', async (c) => { await Promise.resolve(); await c.span('grandchild', async () => 2); });
    });
    await obs.flush();
    const byName = Object.fromEntries(sent[0].spans.map((s) => [s.name, s]));
    console.log(JSON.stringify({
      traces: sent.length,
      sync: byName['sync-child'].parent_span_id === byName['root'].span_id,
      explicit: byName['explicit-child'].parent_span_id === byName['root'].span_id,
      grand: byName['grandchild'].parent_span_id === byName['explicit-child'].span_id,
    }));
  `);
  assert.deepEqual(JSON.parse(out), { traces: 1, sync: true, explicit: true, grand: true });
});

test('ES module build on Node without process.getBuiltinModule (Node 18) loads AsyncLocalStorage', () => {
  const out = runModule(`
    delete process.getBuiltinModule;
    const { AgentObservability } = await import(${JSON.stringify(esmEntry)});
    await new Promise((r) => setTimeout(r, 10));
    const sent = [];
    const fetch = async (url, init) => { sent.push(...JSON.parse(init.body).traces); return { status: 202, headers: { get: () => null }, text: async () => '' }; };
    const obs = new AgentObservability({ apiKey: 'k', baseUrl: 'http://x', fetch });
    await obs.trace('root', async () => { await new Promise((r) => setTimeout(r, 1)); await obs.trace('after-await', async () => 1); });
    await obs.flush();
    const byName = Object.fromEntries(sent[0].spans.map((s) => [s.name, s]));
    console.log(String(byName['after-await'].parent_span_id === byName['root'].span_id));
  `);
  assert.equal(out, 'true');
});
