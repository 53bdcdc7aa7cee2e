import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { tokenizeJobArguments } from '../../lib/data/job-arguments';
import { pythonRequirementPins } from '../../lib/data/tokenize-job';
import { dataTemplate, defaultConfig, REPO_ROOT } from '../support/app';

const jobOf = (template: Template) => Object.values(template.findResources('AWS::Glue::Job'))[0];
const template = dataTemplate();
const job = jobOf(template);
const args: Record<string, unknown> = job.Properties.DefaultArguments;
const bucketRef = (name: string) => ({ Ref: expect.stringMatching(new RegExp(`^Buckets${name}[0-9A-F]{8}$`)) });
const s3Uri = (bucket: string, key: string) => ({ 'Fn::Join': ['', ['s3://', bucketRef(bucket), key]] });
const assetsBucket = { 'Fn::Sub': 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}' };
const assetUri = (extension: string) => ({
  'Fn::Join': ['', ['s3://', assetsBucket, expect.stringMatching(new RegExp(`^/[0-9a-f]{64}\\.${extension}$`))]],
});

test('is a Glue 5.0 Spark job running Python 3, named after the project', () => {
  template.resourceCountIs('AWS::Glue::Job', 1);
  expect(job.Properties).toEqual(
    expect.objectContaining({
      Name: 'trainium-cpt-tokenize',
      GlueVersion: '5.0',
      Command: { Name: 'glueetl', PythonVersion: '3', ScriptLocation: assetUri('py') },
      Role: { 'Fn::GetAtt': [expect.stringMatching(/^TokenizeRole/), 'Arn'] },
    }),
  );
});

test('takes its workers and timeout from the config, runs once at a time and never retries by itself', () => {
  expect(job.Properties).toEqual(
    expect.objectContaining({
      WorkerType: 'G.1X',
      NumberOfWorkers: 10,
      Timeout: 2880,
      MaxRetries: 0,
      ExecutionProperty: { MaxConcurrentRuns: 1 },
    }),
  );
  const other = jobOf(dataTemplate({ glueWorkerType: 'G.4X', glueWorkerCount: 4, glueTimeoutMinutes: 90 }));
  expect(other.Properties).toEqual(expect.objectContaining({ WorkerType: 'G.4X', NumberOfWorkers: 4, Timeout: 90 }));
});

test("passes the job's arguments from the config, with the buckets and the secret of the stack", () => {
  const expected = tokenizeJobArguments(defaultConfig(), {
    rawBucketName: 'RAW',
    datasetsBucketName: 'DATASETS',
    scratchBucketName: 'SCRATCH',
    hfTokenSecretArn: 'SECRET',
  });
  for (const [key, value] of Object.entries(expected)) {
    if (!/RAW|DATASETS|SCRATCH|SECRET/.test(value)) expect([key, args[key]]).toEqual([key, value]);
  }
  expect(args).toEqual(
    expect.objectContaining({
      '--domain-uri': s3Uri('Raw', '/corpus/domain/'),
      '--general-uri': s3Uri('Raw', '/corpus/general/'),
      '--output-uri': s3Uri('Datasets', '/datasets/'),
      '--scratch-uri': s3Uri('Scratch', '/tokenize/'),
      '--hf-token-secret-arn': { Ref: expect.stringMatching(/^HuggingFaceTokenSecret/) },
      '--format': 'jsonl',
      '--sequence-length': '4096',
      '--seed': '42',
    }),
  );
});

test('installs exactly the pins of glue/requirements.txt', () => {
  const pins = fs
    .readFileSync(path.join(REPO_ROOT, 'glue', 'requirements.txt'), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '');
  expect(pins.length).toBeGreaterThan(0);
  expect(args['--additional-python-modules']).toBe(pins.join(','));
});

test('gets the cpt_data package as a zip in --extra-py-files, and Glue temporary files go to the scratch bucket', () => {
  expect(args['--extra-py-files']).toEqual(assetUri('zip'));
  expect(args['--TempDir']).toEqual(s3Uri('Scratch', '/glue-temp/'));
  expect(args['--job-language']).toBe('python');
  expect(args['--job-bookmark-option']).toBe('job-bookmark-disable');
});

test('publishes job metrics, observability metrics and job run insights', () => {
  expect(args).toEqual(
    expect.objectContaining({
      '--enable-metrics': '',
      '--enable-observability-metrics': 'true',
      '--enable-job-insights': 'true',
    }),
  );
});

test('logs to two groups of its own that cdk destroy removes (Glue 5.0 logging), not to account-wide groups', () => {
  expect(args['--custom-logGroup-prefix']).toBe('/aws-glue/jobs/trainium-cpt-tokenize');
  for (const stream of ['error', 'output']) {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: `/aws-glue/jobs/trainium-cpt-tokenize/${stream}`, RetentionInDays: 90 },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  }
  template.hasResource('AWS::Glue::Job', {
    DependsOn: [Match.stringLikeRegexp('^TokenizeErrorLogs'), Match.stringLikeRegexp('^TokenizeOutputLogs')],
  });
  // The continuous-logging arguments of Glue 4.0 and earlier would name a group that Glue 5.0 never writes to.
  const legacy = ['--enable-continuous-cloudwatch-log', '--continuous-log-logGroup', '--enable-continuous-log-filter'];
  for (const key of legacy) expect(args[key]).toBeUndefined();
});

describe('pythonRequirementPins', () => {
  const write = (text: string) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-req-')), 'requirements.txt');
    fs.writeFileSync(file, text);
    return file;
  };

  test('keeps the pins, in order, without comments and blank lines', () => {
    const file = write('# header\n\ntokenizers==0.23.3  # fast BPE\r\n  numpy==1.26.4\n\n');
    expect(pythonRequirementPins(file)).toEqual(['tokenizers==0.23.3', 'numpy==1.26.4']);
  });

  test('refuses a requirement that is not an exact pin, with its file and line', () => {
    const file = write('tokenizers==0.23.3\nnumpy>=1.26,<2\n');
    expect(() => pythonRequirementPins(file)).toThrow(
      `${file}:2: "numpy>=1.26,<2" is not an exact pin (name==version)`,
    );
  });
});
