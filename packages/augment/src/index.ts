export * from './augment';
export * from './candidates';
export * from './config';
export * from './lexicon';
export * from './mlm';
export * from './stage';
export * from './strategies';
