export * from './classify';
export * from './config';
export * from './init';
export * from './pretrain';
export * from './stage';
