/**
 * What each part of the run plan (lib/plan/estimate-*.ts) returns: its figures, the assumptions they rest on and the
 * warnings they raise. Pure types, and the one error of the plan.
 */

/** A configuration value the plan cannot price; names the key, the value and what is accepted. */
export class PlanError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    why: string,
    accepted: string,
  ) {
    super(`${field} = ${JSON.stringify(value)}: ${why}. Accepted: ${accepted}`);
    this.name = 'PlanError';
  }
}

/** Something a figure rests on, with where it comes from: a URL, a file of this repository, or "assumption". */
export interface Assumption {
  readonly id: string;
  readonly text: string;
  readonly source: string;
}

/** A part of the plan: its figures, and the assumptions and warnings that go with them, in the order they are shown. */
export interface Part<T> {
  readonly figures: T;
  readonly assumptions: readonly Assumption[];
  readonly warnings: readonly string[];
}
