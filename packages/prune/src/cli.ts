#!/usr/bin/env tsx
import { stageMain } from '@distill/core';
import { pruneStage } from './stage';

stageMain(pruneStage);
