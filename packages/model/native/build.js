#!/usr/bin/env node
/**
 * Compiles kernels.c into build/distill_kernels.node with the system C compiler, for this machine's CPU (-march=native).
 * Run by the root package's postinstall; also `node packages/model/native/build.js` by hand.
 *
 * Never fails the install: without a compiler or Node's headers it prints why and exits 0, and training uses the
 * wasm backend's own matmul. DISTILL_NATIVE=0 skips the build (and the kernel at run time).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = __dirname;
const outDir = path.join(here, 'build');
const out = path.join(outDir, 'distill_kernels.node');

function note(message) {
  console.log(`[distill native kernels] ${message}`);
}

function nodeIncludeDir() {
  const candidates = [
    process.env.DISTILL_NODE_INCLUDE,
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'node_api.h')));
}

function main() {
  if (process.env.DISTILL_NATIVE === '0') return note('DISTILL_NATIVE=0: not building; training uses the wasm kernels.');
  if (process.platform === 'win32') return note('not built on Windows; training uses the wasm kernels.');
  const include = nodeIncludeDir();
  if (!include) return note("Node's headers (node_api.h) not found; set DISTILL_NODE_INCLUDE. Training uses the wasm kernels.");
  const cc = process.env.CC || 'cc';
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const args = ['-O3', '-march=native', '-ffp-contract=fast', '-fPIC', '-shared', '-pthread', `-I${include}`, '-o', tmp, path.join(here, 'kernels.c'), '-lm'];
  if (process.platform === 'darwin') args.push('-undefined', 'dynamic_lookup');
  const r = spawnSync(cc, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').slice(-3).join(' | ');
    return note(`could not compile with '${cc}' (${why}); training uses the wasm kernels.`);
  }
  fs.renameSync(tmp, out);
  note(`built ${path.relative(process.cwd(), out)} (${cc} -O3 -march=native)`);
}

main();
