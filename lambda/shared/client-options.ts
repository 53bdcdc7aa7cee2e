/**
 * The SDK client options of every function: adaptive retries ride out throttling of the APIs they call (EC2, FSx,
 * CloudFormation, SSM, S3, Glue), which busy accounts see during deployments.
 */
export const CLIENT_OPTIONS = { maxAttempts: 8, retryMode: 'adaptive' } as const;
