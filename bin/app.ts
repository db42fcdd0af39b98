#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { loadStageConfig } from '../lib/config/load-stage-config';

// The only place that reads input: `-c stage=<dev|staging|prod>` and the other context keys.
const app = new App();
try {
  buildApp(
    app,
    loadStageConfig((key) => app.node.tryGetContext(key)),
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
