export * from './config';
export * from './init';
export * from './latent';
export * from './losses';
export * from './relation-loss';
export * from './search';
export * from './stage';
export * from './task';
