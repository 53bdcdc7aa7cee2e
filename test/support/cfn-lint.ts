import { execFileSync } from 'child_process';
import * as path from 'path';
import { REPO_ROOT } from './app';

export const CFN_LINT = path.join(REPO_ROOT, '.venv', 'bin', 'cfn-lint');

/** Runs cfn-lint (settings in .cfnlintrc.yaml) and returns what it printed and its exit code. */
export function cfnLint(templates: string[]): { code: number; output: string } {
  try {
    return { code: 0, output: execFileSync(CFN_LINT, templates, { cwd: REPO_ROOT, encoding: 'utf8' }) };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { code: failed.status, output: `${failed.stdout}${failed.stderr}` };
  }
}
