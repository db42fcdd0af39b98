import path from 'node:path';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { DASHBOARD_PORT } from './dashboard-service';
import { TRADING_PORT } from './trading-fargate-service';

/** The ECS services built from this repository. */
export type ServiceImageName = 'trading' | 'dashboard';

/** Makes the container image of a service. Tests inject one that builds nothing. */
export type ServiceImageFactory = (service: ServiceImageName) => ecs.ContainerImage;

const REPOSITORY_ROOT = path.join(__dirname, '../..');

const PORTS: Record<ServiceImageName, number> = {
  trading: TRADING_PORT,
  dashboard: DASHBOARD_PORT,
};

/** Docker images built from `services/Dockerfile` (context: the repository) for ARM64. */
export const dockerImages: ServiceImageFactory = (service) =>
  ecs.ContainerImage.fromAsset(REPOSITORY_ROOT, {
    file: 'services/Dockerfile',
    buildArgs: { SERVICE: service, PORT: String(PORTS[service]) },
    platform: Platform.LINUX_ARM64,
    // The context is the repository; .dockerignore keeps node_modules and state out of it.
    exclude: ['node_modules', '.git', '.local', 'cdk.out', 'test-results'],
  });
