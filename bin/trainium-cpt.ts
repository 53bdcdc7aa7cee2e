#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { ConfigError, loadConfig } from '../lib/config/load';
import { CptConfig } from '../lib/config/schema';
import { estimateRun } from '../lib/plan/estimate';
import { formatSummary } from '../lib/plan/format';

const app = new App();
let config: CptConfig;
try {
  config = loadConfig(app.node.getAllContext());
  buildApp(app, config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// The run plan in a few lines, on stderr (stdout carries the templates of `cdk synth`). Never fails the synthesis.
try {
  console.error(formatSummary(estimateRun(config)));
} catch (error) {
  console.error(`trainium-cpt plan: not available: ${error instanceof Error ? error.message : String(error)}`);
}
