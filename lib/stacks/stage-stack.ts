import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';

export interface StageStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * Base of every stack of a stage. Availability zones come from the stage config instead of a
 * context look-up, so `cdk synth` never needs credentials, whatever the account.
 */
export abstract class StageStack extends Stack {
  readonly config: StageConfig;

  constructor(scope: Construct, id: string, props: StageStackProps) {
    super(scope, id, props);
    this.config = props.config;
  }

  override get availabilityZones(): string[] {
    return [...this.config.network.availabilityZones];
  }
}
