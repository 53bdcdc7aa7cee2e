import { CptConfig } from '../config/schema';
import { sequenceLengthMismatch } from '../run/manifest';
import { PlanData } from './dataset';
import { rowsOfTokens } from './figures';
import { formatCount } from './numbers';
import { Part, PlanError } from './part';

/** The training set a plan is for: a token count (one epoch), or a tokenization run's manifest. */
export interface TrainingSetFigures {
  readonly from: 'tokens' | 'manifest';
  /** Where the count comes from: a configuration key, a flag or a file. */
  readonly source: string;
  /** Tokens of one epoch (as given, or the manifest's rows × sequence length). */
  readonly trainTokens: number;
  readonly sequenceLength: number;
  readonly rows: number;
  readonly evalRows: number;
  /** Tokens the tokenization job reads: the manifest's corpora, or estimated from the training tokens. */
  readonly tokenizedTokens: number;
  readonly tokenizedFromManifest: boolean;
}

/** The rows of the training set; throws a PlanError when they cannot be trained (another row length, no row). */
export function trainingSetPart(config: CptConfig, data: PlanData): Part<TrainingSetFigures> {
  const seq = config.sequenceLength;
  if ('manifest' in data) {
    const m = data.manifest;
    if (sequenceLengthMismatch(m.sequenceLength, seq) !== undefined) {
      throw new PlanError(
        'sequenceLength',
        seq,
        `the manifest's rows have ${m.sequenceLength} tokens (parameters.sequenceLength) and training reads rows of exactly sequenceLength`,
        `${m.sequenceLength} for this manifest (-c sequenceLength=${m.sequenceLength}), or tokenize again with --sequence-length ${seq}`,
      );
    }
    const source = data.source ?? `manifest of run ${m.run}`;
    const rows = m.trainRows;
    const trainTokens = rows * seq;
    return {
      figures: {
        from: 'manifest',
        source,
        trainTokens,
        sequenceLength: seq,
        rows,
        evalRows: m.evalRows,
        tokenizedTokens: m.corpusTokens ?? Math.round(trainTokens / (1 - config.heldOutShare)),
        tokenizedFromManifest: m.corpusTokens !== undefined,
      },
      assumptions: [
        {
          id: 'rows',
          text: `${formatCount(rows)} training rows and ${formatCount(m.evalRows)} held-out rows of ${formatCount(seq)} tokens, from the manifest of run ${m.run}`,
          source: source,
        },
      ],
      warnings: [],
    };
  }
  const source = data.source ?? 'plannedTrainTokens';
  const trainTokens = data.trainTokens;
  const rows = rowsOfTokens(trainTokens, seq);
  if (rows < 1) {
    throw new PlanError(
      source,
      trainTokens,
      `fewer tokens than one row of sequenceLength ${seq}`,
      `at least ${seq} tokens`,
    );
  }
  const evalRows = Math.round((rows * config.heldOutShare) / (1 - config.heldOutShare));
  return {
    figures: {
      from: 'tokens',
      source,
      trainTokens,
      sequenceLength: seq,
      rows,
      evalRows,
      tokenizedTokens: Math.round(trainTokens / (1 - config.heldOutShare)),
      tokenizedFromManifest: false,
    },
    assumptions: [
      {
        id: 'rows',
        text:
          `${formatCount(trainTokens)} training tokens (one epoch; ${source}) make floor(tokens ÷ ${formatCount(seq)}) = ${formatCount(rows)} rows: ` +
          `the job packs documents into rows of exactly sequenceLength tokens and drops each partition's partial row; ` +
          `held-out rows ≈ rows × heldOutShare ÷ (1 − heldOutShare) = ${formatCount(evalRows)}`,
        source: `glue/src/cpt_data/packing.py; the count: ${source === 'plannedTrainTokens' ? 'configuration key plannedTrainTokens (88e9 is the seed run, PubMed)' : source}`,
      },
    ],
    warnings: [],
  };
}
