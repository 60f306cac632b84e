#!/usr/bin/env tsx
import { stageMain } from '@distill/core';
import { quantizeStage } from './stage';

stageMain(quantizeStage);
