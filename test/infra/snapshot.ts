import path from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

/** This checkout's root: bundling and asset staging put absolute paths into a template. */
const REPOSITORY_ROOT = path.join(__dirname, '../..');

/**
 * A template's JSON with what changes without the infrastructure changing replaced: asset hashes
 * (bundles, images, custom-resource code), the bootstrap bucket and repository names, and the
 * checkout's path (cdk-monitoring-constructs' test/setup/setup.ts does the same).
 */
export function scrubbedTemplate(template: Template): unknown {
  return JSON.parse(
    JSON.stringify(template.toJSON())
      .replaceAll(REPOSITORY_ROOT, '[REPOSITORY]')
      .replace(/[0-9a-f]{64}(\.zip|\.json)?/g, '[ASSET_HASH]$1')
      .replace(/cdk-hnb659fds-[a-z-]+-\$\{AWS::AccountId\}-\$\{AWS::Region\}/g, '[BOOTSTRAP]'),
  );
}

/**
 * One snapshot of a stack's whole template, scrubbed: it shows in review what a change does to
 * everything the targeted assertions do not name. It never replaces them (a snapshot passes
 * whatever changed once it is updated).
 */
export function expectStackSnapshot(stack: Stack): void {
  expect(scrubbedTemplate(Template.fromStack(stack))).toMatchSnapshot();
}
