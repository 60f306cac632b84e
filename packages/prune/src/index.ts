export * from './config';
export * from './stage';
