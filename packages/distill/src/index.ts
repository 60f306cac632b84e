export * from './config';
export * from './losses';
export * from './stage';
