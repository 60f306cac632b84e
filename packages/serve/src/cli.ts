#!/usr/bin/env tsx
import { stageMain } from '@distill/core';
import { serveStage } from './stage';

stageMain(serveStage);
