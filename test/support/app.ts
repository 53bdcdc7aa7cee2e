import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { DEFAULTS_CONTEXT_KEY, loadConfig } from '../../lib/config/load';
import { CptConfig } from '../../lib/config/schema';

export const REPO_ROOT = path.join(__dirname, '..', '..');

/** The context of cdk.json: the config defaults and the feature flags the real app synthesizes with. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context;
}

export function defaultConfig(overrides: Partial<CptConfig> = {}): CptConfig {
  const context = cdkJsonContext();
  const defaults = context[DEFAULTS_CONTEXT_KEY] as Record<string, unknown>;
  return loadConfig({ [DEFAULTS_CONTEXT_KEY]: { ...defaults, ...overrides } });
}

/** An app with the real feature flags; bundling is skipped unless asked for (esbuild runs in the cfn-lint test). */
export function testApp(options: { bundle?: boolean; outdir?: string } = {}): App {
  const context: Record<string, unknown> = { ...cdkJsonContext() };
  if (!options.bundle) context['aws:cdk:bundling-stacks'] = [];
  return new App({ context, outdir: options.outdir });
}

export function synthApp(overrides: Partial<CptConfig> = {}) {
  const app = testApp();
  const stacks = buildApp(app, defaultConfig(overrides));
  return { app, stacks };
}

export function networkTemplate(overrides: Partial<CptConfig> = {}): Template {
  return Template.fromStack(synthApp(overrides).stacks.network);
}

export function dataTemplate(overrides: Partial<CptConfig> = {}): Template {
  return Template.fromStack(synthApp(overrides).stacks.data);
}
