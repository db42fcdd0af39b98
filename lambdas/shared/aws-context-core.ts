/**
 * The core of the AWS ops context, on its own so that ops-context.ts can require it lazily: a
 * `require` of aws-context.ts itself would keep every part (and its SDK clients) in each bundle.
 */
export { awsContext } from '../../services/ops/platform/aws/aws-context';
