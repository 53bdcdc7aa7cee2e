import { runCli } from '../support/cli';
import * as fs from 'fs';
import * as path from 'path';
import { EXIT, planCommand, PlanCommandDeps } from '../../cli/plan/run';
import { loadProjectConfig } from '../../lib/config/load';
import { budgetLimits, estimateRun } from '../../lib/plan/estimate';
import { formatUsd } from '../../lib/plan/numbers';
import { defaultConfig, REPO_ROOT } from '../support/app';

const FIXTURE = path.join(__dirname, 'fixtures', 'demo-manifest.json');

function run(argv: string[], files: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const deps: PlanCommandDeps = {
    loadConfig: (context) => loadProjectConfig(context),
    readFile: (file) => {
      if (file in files) return files[file];
      throw new Error(`ENOENT: no such file or directory, open '${file}'`);
    },
    print: (text) => out.push(text),
    printError: (text) => err.push(text),
  };
  const code = planCommand(argv, deps);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('npm run plan (the command, with its files and output captured)', () => {
  test('on the defaults prints the seed run: rows, steps, hours, costs, the two budgets, the stall threshold and the assumptions', () => {
    const { code, stdout, stderr } = run([]);
    expect(code).toBe(EXIT.ok);
    expect(stderr).toBe('');
    const e = estimateRun(defaultConfig());
    for (const figure of [
      '88,000,000,000',
      '21,484,375',
      '10,491',
      '31,472',
      '264,006,270,976',
      '20,736 – 25,933',
      '176.7 – 221.0',
    ]) {
      expect(stdout).toContain(figure);
    }
    expect(stdout).toContain('16 × trn1n.32xlarge in us-east-1 (region unset: assumed)');
    expect(stdout).toContain(formatUsd(e.runTotal.high));
    expect(stdout).toContain('A day of training (USD)');
    expect(stdout).toMatch(/\n {2}total +\$9,565 /);
    const limits = budgetLimits(defaultConfig());
    const line = (start: string) => stdout.split('\n').find((l) => l.trimStart().startsWith(start));
    expect(line('<projectName>-daily-cost (DAILY)')).toMatch(
      / \$11,478 {2}\[\d+\] {2}a day of training \$9,565 \+ 20%, rounded up$/,
    );
    expect(line('<projectName>-daily-cost (DAILY)')).toContain(formatUsd(limits.dailyUsd));
    expect(line('<projectName>-run-cost (ANNUALLY)')).toMatch(
      / \$105,718 {2}\[\d+\] {2}the run's high total \$88,098 \+ 20%, rounded up$/,
    );
    expect(line('<projectName>-run-cost (ANNUALLY)')).toContain(formatUsd(limits.runUsd));
    expect(stdout).toContain('stalled training: after 13 minutes without a new step line, derived by the plan');
    expect(stdout).toContain('$24.78 per instance-hour in us-east-1');
    expect(stdout).toMatch(/Assumptions and sources\n {2}\[1\] {2}region is unset/);
  });

  test('--tokens and -c keys change the plan', () => {
    const { code, stdout } = run(['--tokens', '20e9', '-c', 'nodeCount=8', '-c', 'globalBatchSize=1024']);
    expect(code).toBe(EXIT.ok);
    // floor(20e9 ÷ 4,096) = 4,882,812 rows; ceil(4,882,812 × 3 ÷ 1,024) = 14,306 steps; 8 × 32 ÷ 8 = 32 replicas.
    expect(stdout).toContain('4,882,812');
    expect(stdout).toContain('14,306');
    expect(stdout).toMatch(/data-parallel degree +32 /);
    expect(stdout).toContain('from --tokens');
  });

  test('a measured throughput gives one figure instead of a range', () => {
    const { code, stdout } = run(['-c', 'measuredTokensPerSecondPerNode=23500']);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/tokens\/s per node +23,500 .*measured/);
    expect(stdout).toMatch(/^ +cost$/m);
  });

  test('--manifest reads the file and plans its rows; a length that differs from the configuration is refused', () => {
    const files = { 'm.json': fs.readFileSync(FIXTURE, 'utf8') };
    const ok = run(['--manifest', 'm.json', '-c', 'sequenceLength=256'], files);
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.stdout).toMatch(/rows of 256 tokens +464/);
    expect(ok.stdout).toContain('from m.json');
    const refused = run(['--manifest', 'm.json'], files);
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toBe(
      '--manifest "m.json": parameters.sequenceLength = 256: the configuration\'s sequenceLength is 4096. Accepted: a manifest of rows of 4096 tokens, or this one with -c sequenceLength=256',
    );
  });

  test.each([
    [
      ['--manifest', 'missing.json'],
      /^--manifest "missing\.json": cannot read it \(ENOENT: no such file or directory, open 'missing\.json'\)\. Accepted: the manifest\.json of a tokenization run/,
    ],
    [['--manifest', 'bad.json'], /^--manifest "bad\.json": not valid JSON/],
    [['--tokens', 'lots'], /^--tokens = "lots": not a positive whole number\. Accepted:/],
    [
      ['--tokens', '4095'],
      /^--tokens = 4095: fewer tokens than one row of sequenceLength 4096\. Accepted: at least 4096 tokens$/,
    ],
    [['--frobnicate'], /^"--frobnicate": not an option of npm run plan/],
  ])('%j: one line on stderr, exit code 2, nothing on stdout', (argv, expected) => {
    const { code, stdout, stderr } = run(argv, { 'bad.json': '{oops' });
    expect(code).toBe(EXIT.usage);
    expect(stdout).toBe('');
    expect(stderr).toMatch(expected);
    expect(stderr).not.toContain('\n');
  });

  test('an invalid configuration prints the ConfigError and exits 1', () => {
    const { code, stdout, stderr } = run(['-c', 'epochs=0', '-c', 'nodecount=3']);
    expect(code).toBe(EXIT.config);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^Invalid trainium-cpt configuration:\n {2}- epochs = 0 \(from -c\): .*\n {2}- nodecount \(from -c\): not a configuration key; did you mean nodeCount\?$/,
    );
  });

  test('a Region without prices exits 1 and names region, its value and the Regions with prices', () => {
    const { code, stderr } = run(['-c', 'region=ap-northeast-1']);
    expect(code).toBe(EXIT.config);
    expect(stderr).toMatch(
      /^region = "ap-northeast-1": no trn1n\.32xlarge On-Demand price on record .*Accepted: a Region with a sourced trn1n\.32xlarge price: us-east-1, us-east-2, us-west-2/,
    );
  });

  test('--help prints the usage and exits 0', () => {
    const { code, stdout } = run(['--help']);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/^Usage: npm run plan \[-- --manifest FILE \| --tokens N\] \[-c key=value/);
  });
});

describe('cli/plan/main.ts through ts-node, as npm runs it', () => {
  const spawn = (args: string[]) => runCli('cli/plan/main.ts', args, { INIT_CWD: REPO_ROOT });

  test('prints the plan and exits 0', () => {
    const result = spawn([]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('total steps (3 epochs)');
    expect(result.stdout).toContain('31,472');
    expect(result.stdout).toContain(formatUsd(budgetLimits(defaultConfig()).dailyUsd));
    expect(result.stdout).toContain(formatUsd(budgetLimits(defaultConfig()).runUsd));
  });

  test('reads a manifest relative to where npm was called', () => {
    const result = spawn(['--manifest', path.relative(REPO_ROOT, FIXTURE), '-c', 'sequenceLength=256']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/rows of 256 tokens +464/);
  });

  test('bad input: exit code 2 and one line on stderr', () => {
    const result = spawn(['--tokens', 'many']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^--tokens = "many": not a positive whole number\. Accepted: /);
  });
});
