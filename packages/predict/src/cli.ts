#!/usr/bin/env tsx
import { stageMain } from '@distill/core';
import { predictStage } from './stage';

stageMain(predictStage);
