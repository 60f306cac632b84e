/**
 * The INT8 accuracy guard. When INT8 loses more than the allowed points against FP32, measure each quantized layer's
 * sensitivity (the accuracy regained by keeping that layer alone in float32, on a calibration slice), then keep layers
 * in float32 one at a time, most sensitive first, until the loss is within bounds — or fail naming the layers tried.
 */
import type { Encoder } from '@distill/model';

/** Names (prefixes) of the weights INT8 export quantizes: every dense layer and the word embeddings. */
export function quantizableLayers(encoder: Encoder): string[] {
  const names = [...encoder.params.keys()].filter((n) => n.endsWith('.weight') && encoder.params.get(n)!.shape.length === 2 && !n.startsWith('cls.'));
  return names.filter((n) => !n.includes('position_embeddings') && !n.includes('token_type_embeddings')).map((n) => n.replace(/\.weight$/, ''));
}

export interface GuardStep {
  excluded: string[];
  accuracy_drop_points: number;
}

export interface GuardResult {
  excluded: string[];
  sensitivity: { layer: string; gain_points: number }[];
  steps: GuardStep[];
  passed: boolean;
}

/**
 * `dropWith(excluded)` exports INT8 with `excluded` kept in float32 and returns its accuracy loss in points against
 * FP32 on the calibration rows.
 */
export async function guardInt8(layers: readonly string[], initialExclude: readonly string[], maxDrop: number, maxExcluded: number, dropWith: (excluded: string[]) => Promise<number>): Promise<GuardResult> {
  const base = await dropWith([...initialExclude]);
  const steps: GuardStep[] = [{ excluded: [...initialExclude], accuracy_drop_points: base }];
  if (base <= maxDrop) return { excluded: [...initialExclude], sensitivity: [], steps, passed: true };
  const candidates = layers.filter((l) => !initialExclude.includes(l));
  const sensitivity: GuardResult['sensitivity'] = [];
  for (const layer of candidates) sensitivity.push({ layer, gain_points: base - (await dropWith([...initialExclude, layer])) });
  sensitivity.sort((a, b) => b.gain_points - a.gain_points);
  const excluded = [...initialExclude];
  for (const { layer } of sensitivity.slice(0, maxExcluded)) {
    excluded.push(layer);
    const drop = await dropWith([...excluded]);
    steps.push({ excluded: [...excluded], accuracy_drop_points: drop });
    if (drop <= maxDrop) return { excluded, sensitivity, steps, passed: true };
  }
  return { excluded, sensitivity, steps, passed: false };
}

/** ONNX op types and how often each occurs. */
export function opHistogram(opTypes: readonly string[]): Record<string, number> {
  const h: Record<string, number> = {};
  for (const op of opTypes) h[op] = (h[op] ?? 0) + 1;
  return Object.fromEntries(Object.entries(h).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}
