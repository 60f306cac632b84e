#!/usr/bin/env tsx
import { stageMain } from '@distill/core';
import { teacherStage } from './stage';

stageMain(teacherStage);
