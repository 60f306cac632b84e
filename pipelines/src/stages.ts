/**
 * What each stage package contributes to a pipeline: its params schema, its CLI, and the source folders whose code
 * determines its output (hashed by Nx). Only each package's public `config` entry is imported here.
 */
import type { z } from 'zod';
import type { StageKind } from '@distill/core';
import { paramsSchema as augment } from '@distill/augment/config';
import { paramsSchema as data } from '@distill/data/config';
import { paramsSchema as distill } from '@distill/distill/config';
import { paramsSchema as predict } from '@distill/predict/config';
import { paramsSchema as prune } from '@distill/prune/config';
import { paramsSchema as quantize } from '@distill/quantize/config';
import { paramsSchema as serve } from '@distill/serve/config';
import { paramsSchema as teacher } from '@distill/teacher/config';

export interface StagePackage {
  schema: z.ZodType;
  /** CLI run from the workspace root */
  cli: string;
  /** package folders whose sources determine the stage's output */
  sources: string[];
}

const pkg = (kind: StageKind, schema: z.ZodType, libs: string[]): StagePackage => ({
  schema,
  cli: `packages/${kind}/src/cli.ts`,
  sources: [`packages/${kind}`, ...libs.map((l) => `packages/${l}`)],
});

export const STAGE_PACKAGES: Record<StageKind, StagePackage> = {
  data: pkg('data', data, ['core']),
  augment: pkg('augment', augment, ['core', 'model']),
  teacher: pkg('teacher', teacher, ['core', 'model']),
  distill: pkg('distill', distill, ['core', 'model']),
  prune: pkg('prune', prune, ['core', 'model', 'quantize', 'runtime']),
  quantize: pkg('quantize', quantize, ['core', 'model', 'runtime']),
  serve: pkg('serve', serve, ['core', 'runtime']),
  predict: pkg('predict', predict, ['core', 'runtime']),
};

export const PARAMS_SCHEMAS = Object.fromEntries(Object.entries(STAGE_PACKAGES).map(([k, v]) => [k, v.schema])) as Record<StageKind, z.ZodType>;
