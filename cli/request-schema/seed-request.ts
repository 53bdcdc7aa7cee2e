import * as fs from 'fs';
import * as path from 'path';
import { DEFAULTS_CONTEXT_KEY, loadConfig } from '../../lib/config/load';
import { rowsOfTokens } from '../../lib/plan/figures';
import { RunRequest, SubmitRequest } from '../../lib/training/contract';
import { planRun, trainingDefaults } from '../../lib/training/plan';
import { REQUEST_VERSION } from '../../lib/training/contract';

/**
 * The seed run's request, as the training function would send it for the configuration of cdk.json on its planned
 * tokens (88e9, PubMed), with example bucket names and secret: the valid request every probe starts from.
 */

const ROOT = path.join(__dirname, '..', '..');
const RUN = 'seed';
const ATTEMPT = 'attempt-20260101T000000Z-a1b2c3';
const DATASETS = 'trainium-cpt-data-bucketsdatasets-1a2b3c4d';
const LOCATIONS = {
  datasetsBucket: DATASETS,
  checkpointsBucket: 'trainium-cpt-data-bucketscheckpoints-5e6f7a8b',
  hfTokenSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:trainium-cpt-hf-token-AbCdEf',
};

export function seedSubmitRequest(): SubmitRequest {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'));
  const config = loadConfig({ [DEFAULTS_CONTEXT_KEY]: cdkJson.context[DEFAULTS_CONTEXT_KEY] }, ROOT);
  const rows = rowsOfTokens(config.plannedTrainTokens, config.sequenceLength);
  const evalRows = Math.round((rows * config.heldOutShare) / (1 - config.heldOutShare));
  const set = (name: string, setRows: number) => ({
    path: `s3://${DATASETS}/datasets/${RUN}/${ATTEMPT}/${name}`,
    rows: setRows,
  });
  const manifest = {
    attempt: ATTEMPT,
    sequenceLength: config.sequenceLength,
    train: set('train', rows),
    evalDomain: set('eval_domain', evalRows),
    evalGeneral: set('eval_general', Math.round(evalRows * config.generalDataShare)),
  };
  return planRun({ run: RUN, manifest, defaults: trainingDefaults(config), locations: LOCATIONS }).request;
}

export function seedRunRequest(): RunRequest {
  return { version: REQUEST_VERSION, run: RUN };
}
