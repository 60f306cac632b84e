export * from './benchmark';
export * from './config';
export * from './report';
export * from './stage';
