export * from './config';
export * from './finetune';
export * from './init';
export * from './naive-bayes';
export * from './pretrain';
export * from './stage';
