/**
 * The project's one cost allocation tag: key `project`, value the project name, on everything a run pays for.
 * `Tags.of(app)` puts it on the app's own resources (lib/app.ts); the cluster configuration's `Tags` put it on what
 * ParallelCluster creates (its stack, hence the FSx file system, the head node, the compute launch templates); the
 * cost budget filters on it.
 */
export const PROJECT_TAG_KEY = 'project';
