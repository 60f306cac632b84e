#!/usr/bin/env tsx
import { stageMain } from '@distill/core';
import { augmentStage } from './stage';

stageMain(augmentStage);
