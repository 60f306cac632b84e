import { paramsSchema } from './config';

describe('augment params', () => {
  it('rejects an unknown strategy name, naming it', () => {
    const r = paramsSchema.safeParse({ strategies: { unk: { p: 0.1 }, shuffle: { n: 1 } } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['shuffle'], path: ['strategies'] });
  });
  it('asks for a lexicon when synonym or insert is used', () => {
    const r = paramsSchema.safeParse({ strategies: { synonym: {} } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['lexicon']);
  });
  it('fills defaults', () => {
    expect(paramsSchema.parse({ strategies: { swap: {} } })).toMatchObject({ splits: ['train'], multiplier: 2, workers: 1, strategies: { swap: { n: 1 } } });
  });
});
