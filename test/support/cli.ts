import { spawnSync } from 'child_process';
import * as path from 'path';

const REPO_ROOT = path.join(__dirname, '..', '..');

/**
 * Runs a command's entry point (`cli/<command>/main.ts`) as npm does: through ts-node, in the repository's root. The
 * AWS SDK's warning about the Node.js version is turned off: what it prints is not the command's output.
 */
export function runCli(main: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'ts-node'),
    ['--transpile-only', main, ...args],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
