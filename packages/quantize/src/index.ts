export * from './config';
export * from './evaluate';
export * from './export';
export * from './guard';
export * from './int8';
export * from './stage';
