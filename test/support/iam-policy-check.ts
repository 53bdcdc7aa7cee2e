/**
 * Does a set of identity-policy statements allow one request? Enough of IAM's evaluation logic
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html) for the rules these
 * tests hold as data: an explicit Deny wins, then any Allow; Action and Resource with `*` and `?` wildcards, actions
 * case-insensitive; ARNs compared part by part as ArnLike does; the condition operators listed in OPERATORS. Anything
 * else (NotAction, NotResource, another operator) throws, so that a rule this cannot judge never passes silently.
 * (@cloud-copilot/iam-simulate does all of IAM, but is AGPL-3.0 and 19 MB for what these few lines need.)
 */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request, such as iam:PolicyARN. */
  readonly context?: Readonly<Record<string, string>>;
}

const list = (value: string | readonly string[]): readonly string[] => (typeof value === 'string' ? [value] : value);

function wildcard(pattern: string, flags = ''): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

/** `*` and `?` match within each of an ARN's six parts (the resource part may hold further colons). */
export function arnLike(pattern: string, arn: string): boolean {
  const parts = (value: string) => {
    const pieces = value.split(':');
    return pieces.length < 6 ? undefined : [...pieces.slice(0, 5), pieces.slice(5).join(':')];
  };
  const [wanted, actual] = [parts(pattern), parts(arn)];
  if (!wanted || !actual) return pattern === '*' || wildcard(pattern).test(arn);
  return wanted.every((part, index) => wildcard(part).test(actual[index]));
}

const OPERATORS: Record<string, (values: readonly string[], actual: string | undefined) => boolean> = {
  ArnLike: (values, actual) => actual !== undefined && values.some((v) => arnLike(v, actual)),
  ArnEquals: (values, actual) => actual !== undefined && values.some((v) => arnLike(v, actual)),
  StringEquals: (values, actual) => actual !== undefined && values.includes(actual),
  StringLike: (values, actual) => actual !== undefined && values.some((v) => wildcard(v).test(actual)),
  StringEqualsIfExists: (values, actual) => actual === undefined || values.includes(actual),
};

function conditionsHold(statement: Statement, request: IamRequest): boolean {
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) => {
    const test = OPERATORS[operator];
    if (!test)
      throw new Error(`statement ${statement.Sid ?? ''}: condition operator ${operator} is not supported here`);
    return Object.entries(keys).every(([key, values]) => test(list(values), request.context?.[key]));
  });
}

function applies(statement: Statement, request: IamRequest): boolean {
  for (const unsupported of ['NotAction', 'NotResource', 'NotPrincipal']) {
    if (unsupported in statement)
      throw new Error(`statement ${statement.Sid ?? ''}: ${unsupported} is not supported here`);
  }
  return (
    list(statement.Action).some((action) => wildcard(action, 'i').test(request.action)) &&
    list(statement.Resource).some((resource) => resource === '*' || arnLike(resource, request.resource)) &&
    conditionsHold(statement, request)
  );
}

/** 'allowed', 'denied' (an explicit Deny) or 'implicitly denied' (no statement allows it). */
export function evaluate(
  statements: readonly Statement[],
  request: IamRequest,
): 'allowed' | 'denied' | 'implicitly denied' {
  const matching = statements.filter((statement) => applies(statement, request));
  if (matching.some((statement) => statement.Effect === 'Deny')) return 'denied';
  return matching.some((statement) => statement.Effect === 'Allow') ? 'allowed' : 'implicitly denied';
}
