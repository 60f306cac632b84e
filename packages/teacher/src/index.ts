export * from './classify';
export * from './config';
export * from './init';
export * from './naive-bayes';
export * from './pretrain';
export * from './stage';
