/**
 * One cost allocation tag, `project = <projectName>`, on everything a run pays for: read from the synthesized
 * templates, for every resource CloudFormation can tag, and from the cluster configuration, whose Tags
 * ParallelCluster puts on its own stack (and so on FSx), on the head node and on the compute launch templates
 * (aws-parallelcluster 3.16.1: pcluster/models/cluster.py create_stack_from_url(tags=...), templates/cluster_stack.py
 * head node Tags, templates/queues_stack.py _get_custom_compute_resource_tags).
 */
import { CfnResource, Stack, TagManager } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PROJECT_TAG_KEY } from '../lib/shared/project-tag';
import { synthApp } from './support/app';

const { stacks } = synthApp({ projectName: 'law' });
const all: Stack[] = [stacks.network, stacks.data, stacks.cluster, stacks.training, stacks.monitoring];

/** A resource's tags as a map, whether CloudFormation takes them as a list of {Key, Value} or as a map. */
function tagsOf(properties: Record<string, unknown> | undefined): Record<string, unknown> {
  const tags = properties?.Tags ?? properties?.tags;
  if (Array.isArray(tags))
    return Object.fromEntries(tags.map((tag: { Key: string; Value: unknown }) => [tag.Key, tag.Value]));
  return (tags as Record<string, unknown>) ?? {};
}

test.each(all.map((stack) => [stack.stackName, stack]))(
  'every taggable resource of %s carries project = law, and no other cost key',
  (_, stack) => {
    const template = Template.fromStack(stack as Stack).toJSON();
    const taggable = (stack as Stack).node
      .findAll()
      .filter((c): c is CfnResource => CfnResource.isCfnResource(c) && TagManager.isTaggable(c))
      .map((c) => (stack as Stack).getLogicalId(c));
    expect(taggable.length).toBeGreaterThan(0);
    const untagged = taggable.filter((id) => tagsOf(template.Resources[id]?.Properties)[PROJECT_TAG_KEY] !== 'law');
    expect(untagged).toEqual([]);
    expect(JSON.stringify(template)).not.toContain('trainium-cpt:project');
  },
);

test('the cluster configuration tags what ParallelCluster creates with the same key, and the budget filters on it', () => {
  const cluster = Template.fromStack(stacks.cluster);
  const [resource] = Object.values(cluster.findResources('Custom::PclusterCluster'));
  expect(resource.Properties.ClusterConfiguration.Tags).toEqual([{ Key: PROJECT_TAG_KEY, Value: 'law' }]);
  // The provider's nested stack passes its tags on to the provider's own resources.
  cluster.hasResourceProperties('AWS::CloudFormation::Stack', { Tags: [{ Key: PROJECT_TAG_KEY, Value: 'law' }] });
  const budgets = Template.fromStack(stacks.monitoring).findResources('AWS::Budgets::Budget');
  expect(JSON.stringify(budgets)).toContain(`"TagKeyValue":["user:${PROJECT_TAG_KEY}$law"]`);
});
