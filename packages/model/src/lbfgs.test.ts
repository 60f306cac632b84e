import { minimizeLbfgs, type Objective } from './lbfgs';

describe('minimizeLbfgs', () => {
  it('finds the minimum of an ill-conditioned quadratic', () => {
    // f(x) = ½ Σ dᵢ (xᵢ − cᵢ)², condition number 1000
    const d = [1, 10, 100, 1000];
    const c = [3, -2, 0.5, 7];
    const f: Objective = (x, g) => {
      let v = 0;
      for (let i = 0; i < x.length; i++) {
        g[i] = d[i] * (x[i] - c[i]);
        v += 0.5 * d[i] * (x[i] - c[i]) ** 2;
      }
      return v;
    };
    const r = minimizeLbfgs(f, new Float64Array(4), { iterations: 200, gradientTolerance: 1e-9 });
    expect(r.converged).toBe(true);
    r.x.forEach((x, i) => expect(x).toBeCloseTo(c[i], 6));
  });

  it('descends the Rosenbrock valley to (1, 1) and never accepts a step that raises the value', () => {
    const f: Objective = ([x, y], g) => {
      g[0] = -2 * (1 - x) - 400 * x * (y - x * x);
      g[1] = 200 * (y - x * x);
      return (1 - x) ** 2 + 100 * (y - x * x) ** 2;
    };
    const values: number[] = [];
    const r = minimizeLbfgs(f, Float64Array.of(-1.2, 1), { iterations: 500, gradientTolerance: 1e-8 }, (_, __, v) => values.push(v));
    expect(r.x[0]).toBeCloseTo(1, 4);
    expect(r.x[1]).toBeCloseTo(1, 4);
    values.slice(1).forEach((v, i) => expect(v).toBeLessThanOrEqual(values[i]));
  });
});
