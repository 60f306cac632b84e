/** Models scored together by the final evaluation: groups (mean ± std over splits) and learning curves. */
import { meanStd } from '@distill/core';
import type { ModelResult } from './benchmark';
import type { ServeParams } from './config';
import type { LearningCurve, ModelGroup } from './report';

/** Each group's test accuracies, their mean and standard deviation; `where` names the config key in errors. */
export function modelGroups(groups: Record<string, readonly string[]>, models: readonly { name: string; accuracy: number }[], where: string): ModelGroup[] {
  return Object.entries(groups).map(([group, names]) => {
    const accuracies = names.map((n) => {
      const m = models.find((x) => x.name === n);
      if (!m) throw new Error(`${where}.${group}: no model '${n}' (models: ${models.map((x) => x.name).join(', ')})`);
      return m.accuracy;
    });
    return { name: group, models: [...names], accuracies, ...meanStd(accuracies) };
  });
}

/** The learning curve's points: each method's test accuracy (and interval) at each x, in x order. */
export function learningCurve(curve: NonNullable<ServeParams['learning_curve']>, models: readonly Pick<ModelResult, 'name' | 'accuracy' | 'ci95'>[], where: string): LearningCurve {
  const points = Object.entries(curve.methods).flatMap(([method, byX]) =>
    Object.entries(byX)
      .map(([x, name]) => {
        const m = models.find((y) => y.name === name);
        if (!m) throw new Error(`${where}.methods.${method}.${x}: no model '${name}' (models: ${models.map((y) => y.name).join(', ')})`);
        return { method, x: Number(x), model: name, accuracy: m.accuracy, ...(m.ci95 ? { ci95: m.ci95 } : {}) };
      })
      .sort((a, b) => a.x - b.x),
  );
  return { x_title: curve.x_title, points };
}
