/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, none on LayerNorm parameters and biases; a linear
 * warm-up then linear decay of the learning rate; gradient clipping by global norm.
 */
import * as tf from '@tensorflow/tfjs';
import { WIDE_TABLE, type Params } from './encoder';
import { FUSED_ADAMW, GLOBAL_NORM, type FusedAdamWAttrs } from './native-kernels';

export interface AdamWConfig {
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  warmupSteps: number;
  totalSteps: number;
  /** 0 disables clipping */
  maxGradNorm: number;
  /** peak learning rate of the wide n-gram table (a sparse linear model learns at ~100× the encoder's rate); same schedule */
  wideLr?: number;
}

export function noDecay(name: string): boolean {
  return name.endsWith('.bias') || name.includes('LayerNorm') || name === WIDE_TABLE;
}

/** The learning rate of parameter `name` given the scheduled base rate. */
function paramLr(cfg: AdamWConfig, name: string, lr: number): number {
  return name === WIDE_TABLE && cfg.wideLr !== undefined ? (lr * cfg.wideLr) / cfg.lr : lr;
}

/** Learning rate at `step` (1-based): linear warm-up to `lr`, then linear decay to 0 at `totalSteps`. */
export function scheduledLr(cfg: AdamWConfig, step: number): number {
  if (cfg.warmupSteps > 0 && step <= cfg.warmupSteps) return (cfg.lr * step) / cfg.warmupSteps;
  const rest = Math.max(1, cfg.totalSteps - cfg.warmupSteps);
  return cfg.lr * Math.max(0, (cfg.totalSteps - step) / rest);
}

export class AdamW {
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(readonly cfg: AdamWConfig, private readonly params: Params, readonly trainable: readonly string[]) {
    for (const name of trainable) {
      const p = params.get(name);
      if (!p) throw new Error(`optimizer: no parameter ${name}`);
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** Applies one update from `grads` (name → gradient). Returns the global gradient norm before clipping. */
  apply(grads: Map<string, tf.Tensor>): number {
    this.step += 1;
    const { beta1, beta2, eps, weightDecay, maxGradNorm } = this.cfg;
    const lr = scheduledLr(this.cfg, this.step);
    // one kernel over every gradient where the backend has it (wasm + native kernels), else tfjs ops
    const all = [...grads.values()];
    const normT = tf.getKernel(GLOBAL_NORM, tf.getBackend()) ? (tf.engine().runKernel(GLOBAL_NORM, Object.fromEntries(all.map((g, i) => [String(i), g]))) as tf.Tensor) : tf.tidy(() => tf.sqrt(tf.addN(all.map((g) => g.square().sum()))));
    const norm = normT.dataSync()[0];
    normT.dispose();
    const scale = maxGradNorm > 0 && norm > maxGradNorm ? maxGradNorm / (norm + 1e-6) : 1;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    // the same update as below in one pass per tensor, where the backend has the fused kernel (wasm + native kernels)
    if (tf.getKernel(FUSED_ADAMW, tf.getBackend())) {
      for (const name of this.trainable) {
        const g = grads.get(name);
        if (!g) continue;
        const p = this.params.get(name)!;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const attrs: FusedAdamWAttrs = { lr: paramLr(this.cfg, name, lr), beta1, beta2, eps, weightDecay: weightDecay > 0 && !noDecay(name) ? weightDecay : 0, bc1, bc2, gradScale: scale };
        const [p2, m2, v2] = tf.engine().runKernel(FUSED_ADAMW, { p, g, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        p.assign(p2);
        m.assign(m2);
        v.assign(v2);
        [p2, m2, v2].forEach((t) => t.dispose());
      }
      return norm;
    }
    tf.tidy(() => {
      for (const name of this.trainable) {
        const g0 = grads.get(name);
        if (!g0) continue;
        const g = scale === 1 ? g0 : g0.mul(scale);
        const p = this.params.get(name)!;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
        v.assign(v.mul(beta2).add(g.square().mul(1 - beta2)));
        let update = m.div(bc1).div(v.div(bc2).sqrt().add(eps));
        if (weightDecay > 0 && !noDecay(name)) update = update.add(p.mul(weightDecay));
        p.assign(p.sub(update.mul(paramLr(this.cfg, name, lr))));
      }
    });
    return norm;
  }

  /** Moments and step, to save for an exact resume. */
  exportState(): { step: number; m: Map<string, Float32Array>; v: Map<string, Float32Array> } {
    const read = (vars: Map<string, tf.Variable>) => new Map([...vars].map(([k, t]) => [k, Float32Array.from(t.dataSync() as Float32Array)]));
    return { step: this.step, m: read(this.m), v: read(this.v) };
  }

  importState(state: { step: number; m: Map<string, Float32Array>; v: Map<string, Float32Array> }): void {
    this.step = state.step;
    for (const [target, source] of [[this.m, state.m], [this.v, state.v]] as const) {
      for (const [name, variable] of target) {
        const values = source.get(name);
        if (!values) throw new Error(`optimizer state has no moment for ${name}`);
        const t = tf.tensor(values, variable.shape, 'float32');
        variable.assign(t);
        t.dispose();
      }
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
