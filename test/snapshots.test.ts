import { Template } from 'aws-cdk-lib/assertions';
import { synthApp } from './support/app';

// One snapshot per stack, asset hashes stripped (test/support/asset-hash-serializer.ts): a diff here is a change
// of infrastructure to review. The fine-grained tests beside this one say which properties matter and why.
const { stacks } = synthApp();

test.each(Object.entries(stacks))('the %s stack', (_name, stack) => {
  expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
});
