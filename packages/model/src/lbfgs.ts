/**
 * Limited-memory BFGS on Float64Array vectors: minimizes a smooth function given its value and gradient (Nocedal &
 * Wright, Numerical Optimization, Algorithm 7.4 for the search direction, with a backtracking Armijo line search).
 * Used to fit the wide n-gram table as logistic regression (wide-logistic.ts).
 */

/** Writes the gradient at `x` into `grad` and returns the value at `x`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  iterations: number;
  /** correction pairs kept (scipy's default is 10) */
  memory?: number;
  /** stop when every gradient entry is at most this in magnitude */
  gradientTolerance?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  /** the gradient tolerance was reached (false: out of iterations, or no step lowered the value) */
  converged: boolean;
}

const ARMIJO = 1e-4;
const MAX_HALVINGS = 40;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** The two-loop recursion: `d` = −H·g, H the inverse-Hessian estimate from the pairs (oldest first in `s`, `y`). */
function searchDirection(g: Float64Array, s: Float64Array[], y: Float64Array[], rho: number[], d: Float64Array): void {
  d.set(g);
  const alpha = new Array<number>(s.length);
  for (let i = s.length - 1; i >= 0; i--) {
    alpha[i] = rho[i] * dot(s[i], d);
    for (let j = 0; j < d.length; j++) d[j] -= alpha[i] * y[i][j];
  }
  if (s.length) {
    const last = s.length - 1;
    const gamma = dot(s[last], y[last]) / dot(y[last], y[last]);
    for (let j = 0; j < d.length; j++) d[j] *= gamma;
  }
  for (let i = 0; i < s.length; i++) {
    const beta = rho[i] * dot(y[i], d);
    for (let j = 0; j < d.length; j++) d[j] += (alpha[i] - beta) * s[i][j];
  }
  for (let j = 0; j < d.length; j++) d[j] = -d[j];
}

/**
 * Minimizes `f` from `x0` (not modified). `onIteration` sees every accepted iterate (the array is reused: copy what
 * you keep).
 */
export function minimizeLbfgs(f: Objective, x0: Float64Array, o: LbfgsOptions, onIteration?: (iteration: number, x: Float64Array, value: number) => void): LbfgsResult {
  const n = x0.length;
  const memory = o.memory ?? 10;
  const tolerance = o.gradientTolerance ?? 1e-8;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let value = f(x, g);
  let xNext = new Float64Array(n);
  let gNext = new Float64Array(n);
  const d = new Float64Array(n);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  for (let it = 1; it <= o.iterations; it++) {
    if (maxAbs(g) <= tolerance) return { x, value, iterations: it - 1, converged: true };
    searchDirection(g, s, y, rho, d);
    let slope = dot(g, d);
    if (slope >= 0) {
      // not a descent direction (rounding): forget the pairs and go downhill
      s.length = y.length = rho.length = 0;
      for (let j = 0; j < n; j++) d[j] = -g[j];
      slope = dot(g, d);
    }
    // without pairs the direction has the gradient's scale: the first trial moves by a unit length
    let step = s.length ? 1 : 1 / Math.sqrt(-slope);
    let next = NaN;
    let accepted = false;
    for (let k = 0; k < MAX_HALVINGS; k++, step /= 2) {
      for (let j = 0; j < n; j++) xNext[j] = x[j] + step * d[j];
      next = f(xNext, gNext);
      if (next <= value + ARMIJO * step * slope) {
        accepted = true;
        break;
      }
    }
    if (!accepted) return { x, value, iterations: it - 1, converged: false };
    const sk = s.length === memory ? s.shift()! : new Float64Array(n);
    const yk = y.length === memory ? y.shift()! : new Float64Array(n);
    if (rho.length === memory) rho.shift();
    for (let j = 0; j < n; j++) {
      sk[j] = xNext[j] - x[j];
      yk[j] = gNext[j] - g[j];
    }
    const sy = dot(sk, yk);
    if (sy > 1e-12) {
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    [x, xNext] = [xNext, x];
    [g, gNext] = [gNext, g];
    value = next;
    onIteration?.(it, x, value);
  }
  return { x, value, iterations: o.iterations, converged: maxAbs(g) <= tolerance };
}
