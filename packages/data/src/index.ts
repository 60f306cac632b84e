export * from './card';
export * from './clean';
export * from './config';
export * from './load';
export * from './split';
export * from './stage';
