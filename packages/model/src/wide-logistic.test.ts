import { fitLogistic, inverseDocumentFrequency, logisticObjective, logisticTable, tfidfRows } from './wide-logistic';
import type { WideRows } from './wide-naive-bayes';

/** rows of bucket ids (repeats allowed) as WideRows */
function rowsOf(list: number[][]): WideRows {
  const offsets = new Int32Array(list.length + 1);
  list.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.length));
  return { offsets, ids: Int32Array.from(list.flat()) };
}

describe('TF-IDF rows', () => {
  const rows = rowsOf([[0, 0, 1], [1, 2], [1]]);

  it('counts each bucket once per row for the document frequency (smooth idf)', () => {
    const idf = inverseDocumentFrequency(rows, 4);
    // df: bucket 0 → 1, 1 → 3, 2 → 1, 3 → 0; idf = ln((1 + 3) / (1 + df)) + 1
    [1, 3, 1, 0].forEach((df, b) => expect(idf[b]).toBeCloseTo(Math.log(4 / (1 + df)) + 1, 12));
  });

  it('weighs tf × idf, L2-normalizes each row, and leaves out buckets without a column', () => {
    const idf = Float64Array.of(2, 1, 3, 1);
    const x = tfidfRows(rows, idf, Int32Array.of(0, 1, -1, -1));
    // row 0: bucket 0 twice (2·2 = 4), bucket 1 once (1) → / √17; row 1: only bucket 1 has a column → 1; row 2 → 1
    expect(Array.from(x.offsets)).toEqual([0, 2, 3, 4]);
    expect(Array.from(x.cols)).toEqual([0, 1, 1, 1]);
    [4 / Math.sqrt(17), 1 / Math.sqrt(17), 1, 1].forEach((v, k) => expect(x.values[k]).toBeCloseTo(v, 12));
  });
});

describe('logistic regression', () => {
  const x = tfidfRows(rowsOf([[0, 1], [1, 2], [2, 3], [3, 0], [0, 0, 2]]), Float64Array.of(1, 1.5, 1.2, 2), Int32Array.of(0, 1, 2, 3));
  const targets = Int32Array.of(0, 1, 2, 0, 1);

  it('has the gradient of its loss (finite differences)', () => {
    const f = logisticObjective(x, targets, 3, 0.1);
    const w = Float64Array.from({ length: 12 }, (_, i) => Math.sin(i + 1));
    const g = new Float64Array(12);
    f(w, g);
    const eps = 1e-6;
    for (let i = 0; i < 12; i++) {
      const up = Float64Array.from(w);
      const down = Float64Array.from(w);
      up[i] += eps;
      down[i] -= eps;
      const numeric = (f(up, new Float64Array(12)) - f(down, new Float64Array(12))) / (2 * eps);
      expect(g[i]).toBeCloseTo(numeric, 6);
    }
  });

  it('fits, and a smaller c (a stronger penalty) gives smaller weights', () => {
    const loose = fitLogistic(x, targets, 4, 3, { c: 100, iterations: 200 });
    const tight = fitLogistic(x, targets, 4, 3, { c: 0.01, iterations: 200 });
    const norm = (w: Float64Array) => Math.sqrt(w.reduce((a, v) => a + v * v, 0));
    expect(norm(tight.weights)).toBeLessThan(norm(loose.weights));
    expect(loose.loss).toBeLessThan(tight.loss);
    expect(() => fitLogistic(x, targets, 4, 3, { c: 0, iterations: 10 })).toThrow(/c > 0/);
  });

  it('folds into a table whose summed rows give each text the regression argmax', () => {
    const rows = rowsOf([[0, 1, 1], [1, 2], [2, 3, 3, 3], [3, 0], [4, 2]]);
    const t = Int32Array.of(0, 1, 2, 0, 1);
    const o = { c: 10, iterations: 300 };
    const { table } = logisticTable(rows, t, 6, 3, o);
    // the regression itself, on the same features
    const idf = inverseDocumentFrequency(rows, 6);
    const column = Int32Array.of(0, 1, 2, 3, 4, -1);
    const xs = tfidfRows(rows, idf, column);
    const fit = fitLogistic(xs, t, 5, 3, o);
    const argmax = (z: number[]) => z.indexOf(Math.max(...z));
    for (let r = 0; r < 5; r++) {
      const direct = [0, 1, 2].map((c) => {
        let s = 0;
        for (let k = xs.offsets[r]; k < xs.offsets[r + 1]; k++) s += xs.values[k] * fit.weights[xs.cols[k] * 3 + c];
        return s;
      });
      const pooled = [0, 1, 2].map((c) => {
        let s = 0;
        for (let k = rows.offsets[r]; k < rows.offsets[r + 1]; k++) s += table[rows.ids[k] * 3 + c];
        return s;
      });
      expect(argmax(pooled)).toBe(argmax(direct));
    }
    // bucket 5 is used by no row: its table row stays 0
    expect(Array.from(table.subarray(15, 18))).toEqual([0, 0, 0]);
  });
});
