export * from './config';
export * from './predict';
export * from './stage';
