export * from './augment';
export * from './config';
export * from './stage';
export * from './strategies';
