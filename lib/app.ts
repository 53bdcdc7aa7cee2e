import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CptConfig } from './config/schema';
import { NetworkStack } from './stacks/network-stack';

/** Stack names of the app, derived from the project name so that several projects can share an account. */
export function stackNames(config: Pick<CptConfig, 'projectName'>) {
  return { network: `${config.projectName}-network` } as const;
}

/**
 * Adds every stack of trainium-cpt to the app and checks it with cdk-nag's AWS Solutions rules:
 * an unacknowledged finding fails synthesis.
 */
export function buildApp(app: App, config: CptConfig) {
  const env = config.region ? { region: config.region } : undefined;
  const names = stackNames(config);
  const network = new NetworkStack(app, 'Network', {
    stackName: names.network,
    env,
    description: 'trainium-cpt: VPC and subnets in an Availability Zone that offers the Trainium instance type',
    config,
  });
  // Stable tags: ParallelCluster fails an update that changes tags and config at once.
  Tags.of(app).add('project', config.projectName);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { network };
}
