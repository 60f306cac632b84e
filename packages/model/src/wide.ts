/**
 * Adding the wide n-gram part (encoder.ts, `wideNgrams`) to an encoder that has none: a fine-tuning run that starts
 * from an MLM-pretrained checkpoint, or a distilled student that takes its teacher's table.
 */
import * as tf from '@tensorflow/tfjs';
import { Encoder, WIDE_TABLE, hasWide, wideShape } from './encoder';

export interface WideOptions {
  buckets: number;
  maxN: number;
}

/**
 * `encoder` with a wide table of `wide.buckets` × labels: a copy of `from`'s table (same buckets, n-gram order and
 * labels required) or zeros. The result shares every other parameter with `encoder`: dispose only the result.
 */
export function withWide(encoder: Encoder, wide: WideOptions, from?: Encoder): Encoder {
  const config = { ...encoder.config, wideBuckets: wide.buckets, wideMaxN: wide.maxN };
  if (!hasWide(config)) throw new Error('wide: the model needs a classifier (labels) for a wide part');
  if (from) {
    const f = wideShape(from.config);
    if (!f) throw new Error('wide: the model to copy the table from has no wide part');
    if (f.buckets !== wide.buckets || f.maxN !== wide.maxN || from.config.numLabels !== config.numLabels) {
      throw new Error(`wide: the source table is ${f.buckets} buckets / n ≤ ${f.maxN} / ${from.config.numLabels} labels; wanted ${wide.buckets} / ${wide.maxN} / ${config.numLabels}`);
    }
  }
  const params = new Map(encoder.params);
  params.get(WIDE_TABLE)?.dispose();
  const table = from ? tf.clone(from.params.get(WIDE_TABLE)!) : tf.zeros([wide.buckets, config.numLabels]);
  params.set(WIDE_TABLE, tf.variable(table, true));
  table.dispose();
  return new Encoder(config, params);
}
