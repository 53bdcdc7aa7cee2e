import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildApp } from '../lib/app';
import { defaultConfig, REPO_ROOT, testApp } from './support/app';

const CFN_LINT = path.join(REPO_ROOT, '.venv', 'bin', 'cfn-lint');

/** Runs cfn-lint (settings in .cfnlintrc.yaml) and returns what it printed and its exit code. */
function cfnLint(templates: string[]): { code: number; output: string } {
  try {
    return { code: 0, output: execFileSync(CFN_LINT, templates, { cwd: REPO_ROOT, encoding: 'utf8' }) };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { code: failed.status, output: `${failed.stdout}${failed.stderr}` };
  }
}

test('cfn-lint is installed (npm test sets up .venv from requirements-dev.txt)', () => {
  expect(fs.existsSync(CFN_LINT)).toBe(true);
});

test('cfn-lint finds nothing in any synthesized template, bundled as for deployment', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-cdk-out-'));
  const app = testApp({ bundle: true, outdir });
  const stacks = buildApp(app, defaultConfig());
  app.synth();
  const templates = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
  expect(templates.sort()).toEqual(
    Object.values(stacks)
      .map((stack) => stack.templateFile)
      .sort(),
  );
  const { code, output } = cfnLint(templates.map((t) => path.join(outdir, t)));
  expect(output).toBe('');
  expect(code).toBe(0);
});

test('cfn-lint does fail on a broken template, so a silent pass means something', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-lint-')), 'broken.template.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ Resources: { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlok: '10.0.0.0/16' } } } }),
  );
  const { code, output } = cfnLint([file]);
  expect(code).not.toBe(0);
  expect(output).toContain('E3002');
});
