import { CptConfig } from './config/schema';

/** Stack names of the app, derived from the project name so that several projects can share an account. */
export function stackNames(config: Pick<CptConfig, 'projectName'>) {
  return {
    network: `${config.projectName}-network`,
    data: `${config.projectName}-data`,
    cluster: `${config.projectName}-cluster`,
    training: `${config.projectName}-training`,
    monitoring: `${config.projectName}-monitoring`,
  } as const;
}
