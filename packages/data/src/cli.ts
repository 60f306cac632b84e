#!/usr/bin/env tsx
import { stageMain } from '@distill/core';
import { dataStage } from './stage';

stageMain(dataStage);
