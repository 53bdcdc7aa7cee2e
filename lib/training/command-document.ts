import {
  assertAction,
  BUNDLE_DIR_PATTERN,
  encodeRequest,
  scriptCommandLine,
  ScriptRequest,
  TRAINING_ACTIONS,
  TRAINING_ROOT,
  TrainingAction,
} from './contract';
import { InvalidRequestError } from './requests';

/**
 * The stack's SSM Command document, which the training function sends instead of AWS-RunShellScript, and the only
 * document its role may send: one `aws:runShellScript` step that runs cpt-run.sh of the bundle folder fixed at synth,
 * with two parameters SSM checks before anything reaches the head node: `action`, one of TRAINING_ACTIONS, and
 * `request`, standard base64 of at most REQUEST_MAX_CHARS characters. Neither can carry a space, a quote or any other
 * shell syntax, so the command line stays the contract's (lib/training/contract.ts). Pure: the construct writes the
 * content, the Lambda builds the parameters. The parameter fields (type, allowedValues, allowedPattern, maxChars) and
 * the {{ name }} interpolation are those of "Data elements and parameters", AWS Systems Manager User Guide
 * (docs.aws.amazon.com/systems-manager/latest/userguide/sysman-doc-syntax.html), schema 2.2.
 */

/** SSM stops the script after this (the step's timeoutSeconds): it only talks to Slurm and writes a few files. */
export const EXECUTION_TIMEOUT_SECONDS = 180;
/** Standard base64 (RE2 syntax, as SSM's allowedPattern reads it; the same in JavaScript). */
export const REQUEST_PATTERN = '^[A-Za-z0-9+/]*={0,2}$';
/**
 * The longest `request` (maxChars): a submit request is about 1,500 characters; SSM counts a command's parameters
 * with its document against a 64 KB quota.
 */
export const REQUEST_MAX_CHARS = 16_384;
/**
 * The version the function sends. The document is updated in place (UpdateMethod NewVersion), which should also make
 * the new version the default; `$LATEST` does not depend on that (aws-cloudformation/cloudformation-coverage-roadmap
 * issue 2539 reports updates that never promote it).
 */
export const DOCUMENT_VERSION = '$LATEST';
/** The step's name in mainSteps. */
const STEP_NAME = 'runCptRun';

/** The document's content (schema 2.2): cpt-run.sh of `bundleDir`, with the two checked parameters. */
export function commandDocumentContent(bundleDir: string) {
  if (!BUNDLE_DIR_PATTERN.test(bundleDir)) {
    throw new Error(
      `Training bundle folder ${JSON.stringify(bundleDir)}: must be a folder directly under ${TRAINING_ROOT}/`,
    );
  }
  return {
    schemaVersion: '2.2',
    description: 'trainium-cpt: runs the training bundle script cpt-run.sh on the head node (submit, status, cancel)',
    parameters: {
      action: {
        type: 'String',
        description: 'What cpt-run.sh does',
        allowedValues: [...TRAINING_ACTIONS],
      },
      request: {
        type: 'String',
        description: 'The request: standard base64 of its UTF-8 JSON, on one line',
        allowedPattern: REQUEST_PATTERN,
        maxChars: REQUEST_MAX_CHARS,
      },
    },
    mainSteps: [
      {
        action: 'aws:runShellScript',
        name: STEP_NAME,
        inputs: {
          runCommand: [scriptCommandLine(bundleDir, '{{ action }}', '{{ request }}')],
          timeoutSeconds: String(EXECUTION_TIMEOUT_SECONDS),
        },
      },
    ],
  };
}

/** SendCommand's Parameters for one call: refuses what the document would refuse, before any AWS call. */
export function commandParameters(action: TrainingAction, request: ScriptRequest): Record<string, string[]> {
  assertAction(action);
  const blob = encodeRequest(request);
  if (blob.length > REQUEST_MAX_CHARS) {
    throw new InvalidRequestError([
      `the request to cpt-run.sh is ${blob.length} characters in base64, more than the document's ${REQUEST_MAX_CHARS}`,
    ]);
  }
  return { action: [action], request: [blob] };
}
