export * from './config';
export * from './evaluate';
export * from './export';
export * from './int8';
export * from './stage';
