/** A multinomial naive Bayes classifier on character n-grams (1..n), with additive (Laplace/Lidstone) smoothing. */
import type { Example } from './arrow';
import { argmaxRows, classificationMetrics, type ClassificationMetrics } from './metrics';

export function charNgrams(text: string, maxN: number): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let n = 1; n <= maxN; n++) for (let i = 0; i + n <= chars.length; i++) out.push(chars.slice(i, i + n).join(''));
  return out;
}

export class NaiveBayes {
  private constructor(
    readonly maxN: number,
    readonly numLabels: number,
    /** log P(label) */
    readonly logPrior: Float64Array,
    /** feature → log P(feature | label) per label */
    readonly logLikelihood: Map<string, Float64Array>,
    /** log P(unseen feature | label) */
    readonly logUnseen: Float64Array,
  ) {}

  static train(rows: readonly Example[], numLabels: number, maxN: number, alpha: number): NaiveBayes {
    return NaiveBayes.trainWeighted(rows.map((r) => r.text), rows.map((r) => oneHot(r.label, numLabels)), numLabels, maxN, alpha);
  }

  /** From texts with a weight per label each (one-hot for a labeled row, a scaled posterior for an unlabeled one). */
  static trainWeighted(texts: readonly string[], weights: readonly Float64Array[], numLabels: number, maxN: number, alpha: number): NaiveBayes {
    const classRows = new Float64Array(numLabels);
    const counts = new Map<string, Float64Array>();
    const totals = new Float64Array(numLabels);
    let rowsWeight = 0;
    texts.forEach((text, i) => {
      const w = weights[i];
      for (let l = 0; l < numLabels; l++) {
        classRows[l] += w[l];
        rowsWeight += w[l];
      }
      for (const f of charNgrams(text, maxN)) {
        let c = counts.get(f);
        if (!c) counts.set(f, (c = new Float64Array(numLabels)));
        for (let l = 0; l < numLabels; l++) {
          if (!w[l]) continue;
          c[l] += w[l];
          totals[l] += w[l];
        }
      }
    });
    const vocab = counts.size;
    const logPrior = classRows.map((n) => Math.log((n + 1) / (rowsWeight + numLabels)));
    const denom = totals.map((t) => Math.log(t + alpha * (vocab + 1)));
    const logLikelihood = new Map<string, Float64Array>();
    for (const [f, c] of counts) logLikelihood.set(f, c.map((n, l) => Math.log(n + alpha) - denom[l]));
    return new NaiveBayes(maxN, numLabels, logPrior, logLikelihood, denom.map((d) => Math.log(alpha) - d));
  }

  /** Unnormalised log posteriors of one text. */
  scores(text: string): Float64Array {
    const s = Float64Array.from(this.logPrior);
    for (const f of charNgrams(text, this.maxN)) {
      const ll = this.logLikelihood.get(f) ?? this.logUnseen;
      for (let l = 0; l < this.numLabels; l++) s[l] += ll[l];
    }
    return s;
  }

  /** Log posteriors of many texts: [texts × labels] row-major. */
  scoresAll(texts: readonly string[]): Float32Array {
    const scores = new Float32Array(texts.length * this.numLabels);
    texts.forEach((t, i) => scores.set(this.scores(t), i * this.numLabels));
    return scores;
  }

  evaluate(rows: readonly Example[], labels: readonly string[]): ClassificationMetrics {
    return classificationMetrics(rows.map((r) => r.label), argmaxRows(this.scoresAll(rows.map((r) => r.text)), this.numLabels), labels);
  }

  /**
   * Semi-supervised naive Bayes by EM (Nigam et al., 2000): fit on the labeled rows, then `rounds` times label the
   * unlabeled texts with the current model's posteriors (E) and refit on the labeled rows plus the unlabeled ones
   * weighted by `unlabeledWeight` × their posteriors (M). No valid row is used.
   */
  static trainEm(labeled: readonly Example[], unlabeled: readonly string[], numLabels: number, maxN: number, alpha: number, rounds: number, unlabeledWeight: number): NaiveBayes {
    let nb = NaiveBayes.train(labeled, numLabels, maxN, alpha);
    const texts = [...labeled.map((r) => r.text), ...unlabeled];
    const hard = labeled.map((r) => oneHot(r.label, numLabels));
    for (let round = 0; round < rounds && unlabeled.length; round++) {
      const soft = unlabeled.map((t) => posterior(nb.scores(t)).map((p) => p * unlabeledWeight));
      nb = NaiveBayes.trainWeighted(texts, [...hard, ...soft], numLabels, maxN, alpha);
    }
    return nb;
  }

  get numParams(): number {
    return this.logLikelihood.size * this.numLabels + 2 * this.numLabels;
  }
}

function oneHot(label: number, k: number): Float64Array {
  const w = new Float64Array(k);
  w[label] = 1;
  return w;
}

/** Softmax of log scores. */
function posterior(scores: Float64Array): Float64Array {
  let max = -Infinity;
  for (const s of scores) max = Math.max(max, s);
  const e = scores.map((s) => Math.exp(s - max));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}
