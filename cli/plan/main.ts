/**
 * The cost and time of a training run before anything is deployed (lib/plan). Offline: nothing reaches AWS.
 *
 *   npm run plan
 *   npm run plan -- --tokens 20e9 -c nodeCount=8 -c globalBatchSize=1024
 *   npm run plan -- --manifest manifest.json -c region=us-east-2
 *   npm run plan -- -c measuredTokensPerSecondPerNode=23500
 *
 * Exit codes: 0 printed; 1 the configuration is invalid or cannot be priced (its message names the key);
 * 2 bad flags or an unreadable or malformed manifest (one line: the argument, the value, what is accepted).
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadProjectConfig } from '../../lib/config/load';
import { EXIT, planCommand } from './run';

// npm runs scripts from the package's folder; a relative --manifest is relative to where npm was called.
const callerDir = process.env.INIT_CWD ?? process.cwd();
try {
  process.exitCode = planCommand(process.argv.slice(2), {
    loadConfig: (context) => loadProjectConfig(context),
    readFile: (file) => fs.readFileSync(path.resolve(callerDir, file), 'utf8'),
    print: (text) => console.log(text),
    printError: (text) => console.error(text),
  });
} catch (error) {
  console.error(String(error));
  process.exitCode = EXIT.config;
}
