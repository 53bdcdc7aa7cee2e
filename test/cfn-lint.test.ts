import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildApp } from '../lib/app';
import { defaultConfig, testApp } from './support/app';
import { CFN_LINT, cfnLint } from './support/cfn-lint';

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
