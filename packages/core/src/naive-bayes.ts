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
    const classRows = new Float64Array(numLabels);
    const counts = new Map<string, Float64Array>();
    const totals = new Float64Array(numLabels);
    for (const r of rows) {
      classRows[r.label] += 1;
      for (const f of charNgrams(r.text, maxN)) {
        let c = counts.get(f);
        if (!c) counts.set(f, (c = new Float64Array(numLabels)));
        c[r.label] += 1;
        totals[r.label] += 1;
      }
    }
    const vocab = counts.size;
    const logPrior = classRows.map((n) => Math.log((n + 1) / (rows.length + numLabels)));
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

  get numParams(): number {
    return this.logLikelihood.size * this.numLabels + 2 * this.numLabels;
  }
}
