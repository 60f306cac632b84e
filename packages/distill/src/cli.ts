#!/usr/bin/env tsx
import { stageMain } from '@distill/core';
import { distillStage } from './stage';

stageMain(distillStage);
