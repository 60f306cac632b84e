/**
 * Chooses the tfjs backend at run time: tfjs-node-gpu → tfjs-node → wasm → cpu, the first that loads. The native
 * packages are optional dependencies (they download libtensorflow at install and are absent where that fails).
 * `DISTILL_BACKEND` or the pipeline's `backend` key forces one. Returns the name of the backend that runs.
 */
import * as tf from '@tensorflow/tfjs';
import { patchWasmKernels, wasmMatMulKernel } from './wasm-kernels';

export type BackendChoice = 'auto' | 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';
const ORDER: Exclude<BackendChoice, 'auto'>[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

let active: string | null = null;

async function tryBackend(name: Exclude<BackendChoice, 'auto'>): Promise<boolean> {
  try {
    if (name === 'tfjs-node-gpu' || name === 'tfjs-node') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(`@tensorflow/${name}`);
      return await tf.setBackend('tensorflow');
    }
    if (name === 'wasm') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-backend-wasm');
      const ok = await tf.setBackend('wasm');
      if (ok) patchWasmKernels();
      return ok;
    }
    const ok = await tf.setBackend('cpu');
    // the cpu backend prints advice to install tfjs-node on its first use; the faster backends were tried first, and
    // every stage's manifest and log say which backend ran
    if (ok) (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    return ok;
  } catch {
    return false;
  }
}

export async function selectBackend(choice: BackendChoice = 'auto'): Promise<string> {
  const forced = (process.env.DISTILL_BACKEND as BackendChoice | undefined) || choice;
  if (active && (forced === 'auto' || forced === active)) return active;
  const candidates = forced === 'auto' ? ORDER : [forced];
  for (const name of candidates) {
    if (!ORDER.includes(name)) throw new Error(`unknown backend '${name}' (choose from auto, ${ORDER.join(', ')})`);
    if (await tryBackend(name)) {
      await tf.ready();
      active = name;
      return name;
    }
  }
  throw new Error(`backend '${forced}' could not be loaded${forced === 'auto' ? '' : ' (is its package installed?)'}`);
}

export function activeBackend(): string | null {
  return active;
}

/** The active backend for reports, with the matmul kernel when it is wasm: e.g. 'wasm, matmul native (avx512, 2 threads)'. */
export function describeBackend(): string {
  if (!active) return 'none';
  return active === 'wasm' ? `wasm, matmul ${wasmMatMulKernel()}` : active;
}
