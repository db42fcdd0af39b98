import { Match, Template } from 'aws-cdk-lib/assertions';
import { DATA_BUCKET_LOGICAL_ID } from '../../lib/constructs/data-bucket';
import { DATABASE_LOGICAL_ID } from '../../lib/constructs/trading-database';
import { DATA_KEY_LOGICAL_ID } from '../../lib/stacks/data-stack';
import { scrubbedTemplate } from './snapshot';
import { buildStage } from './synth';

describe('prod foundation stacks', () => {
  const { stacks } = buildStage({ stage: 'prod', alarmEmails: 'oncall@desk.example' });
  const network = Template.fromStack(stacks.network);
  const data = Template.fromStack(stacks.data);
  const trading = Template.fromStack(stacks.trading);

  describe('network', () => {
    it('spans two named AZs with public, private-with-egress and isolated subnets', () => {
      network.resourceCountIs('AWS::EC2::VPC', 1);
      network.resourceCountIs('AWS::EC2::Subnet', 6);
      for (const az of ['ap-south-1a', 'ap-south-1b']) {
        network.resourcePropertiesCountIs('AWS::EC2::Subnet', { AvailabilityZone: az }, 3);
      }
      network.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true }, 2);
    });

    it('gives each NAT gateway an Elastic IP of its own and exports the IPs', () => {
      network.resourceCountIs('AWS::EC2::NatGateway', 2);
      network.resourceCountIs('AWS::EC2::EIP', 2);
      const eips = network.findResources('AWS::EC2::EIP');
      for (const [id, eip] of Object.entries(eips)) {
        expect(eip.DeletionPolicy).toBe('Retain');
        network.hasResourceProperties('AWS::EC2::NatGateway', {
          AllocationId: { 'Fn::GetAtt': [id, 'AllocationId'] },
        });
      }
      network.hasOutput('EgressIps', { Export: { Name: 'algo-trading-prod-egress-ips' } });
    });

    it('has gateway and interface endpoints for S3, SSM, Secrets Manager, ECR and Logs', () => {
      network.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
      });
      for (const service of ['ssm', 'secretsmanager', 'ecr.api', 'ecr.dkr', 'logs']) {
        network.hasResourceProperties('AWS::EC2::VPCEndpoint', {
          VpcEndpointType: 'Interface',
          PrivateDnsEnabled: true,
          ServiceName: Match.stringLikeRegexp(`\\.${service.replace('.', '\\.')}$`),
        });
      }
    });

    it('lets only the VPC reach the interface endpoints, on 443', () => {
      network.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: 'Interface VPC endpoints: HTTPS from inside the VPC',
        SecurityGroupIngress: [
          { CidrIp: '10.30.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' },
        ],
      });
    });

    it('records all traffic in flow logs', () => {
      network.hasResourceProperties('AWS::EC2::FlowLog', {
        ResourceType: 'VPC',
        TrafficType: 'ALL',
        LogDestinationType: 'cloud-watch-logs',
      });
      network.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    });
  });

  describe('data', () => {
    it('is termination-protected', () => {
      expect(stacks.data.terminationProtection).toBe(true);
    });

    it('pins the logical IDs of the database, the bucket and the key', () => {
      const resources = data.toJSON().Resources;
      expect(resources[DATABASE_LOGICAL_ID]?.Type).toBe('AWS::RDS::DBInstance');
      expect(resources[DATA_BUCKET_LOGICAL_ID]?.Type).toBe('AWS::S3::Bucket');
      expect(resources[DATA_KEY_LOGICAL_ID]?.Type).toBe('AWS::KMS::Key');
      expect([DATABASE_LOGICAL_ID, DATA_BUCKET_LOGICAL_ID, DATA_KEY_LOGICAL_ID]).toEqual([
        'TradingDatabase',
        'DataBucket',
        'DataKey',
      ]);
    });

    it('rotates the data key and keeps it on delete', () => {
      data.hasResource('AWS::KMS::Key', {
        Properties: { EnableKeyRotation: true },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    it('runs PostgreSQL 17 as algo-trading-prod-db, protected and encrypted', () => {
      data.hasResource('AWS::RDS::DBInstance', {
        Properties: {
          DBInstanceIdentifier: 'algo-trading-prod-db',
          DBName: 'algotrading',
          Engine: 'postgres',
          EngineVersion: '17',
          DBInstanceClass: 'db.m7g.large',
          StorageEncrypted: true,
          KmsKeyId: { 'Fn::GetAtt': [DATA_KEY_LOGICAL_ID, 'Arn'] },
          MultiAZ: true,
          DeletionProtection: true,
          BackupRetentionPeriod: 14,
          Port: '5433',
          PubliclyAccessible: false,
          EnableIAMDatabaseAuthentication: true,
          EnablePerformanceInsights: true,
          PerformanceInsightsKMSKeyId: { 'Fn::GetAtt': [DATA_KEY_LOGICAL_ID, 'Arn'] },
          CopyTagsToSnapshot: true,
        },
        DeletionPolicy: 'Snapshot',
        UpdateReplacePolicy: 'Snapshot',
      });
    });

    it('puts the database in the isolated subnets', () => {
      const subnetGroup = Object.values(data.findResources('AWS::RDS::DBSubnetGroup'))[0];
      const imports = JSON.stringify(subnetGroup?.Properties.SubnetIds);
      expect(imports).toMatch(/IsolatedSubnet1/);
      expect(imports).toMatch(/IsolatedSubnet2/);
      expect(imports).not.toMatch(/PrivateSubnet|PublicSubnet/);
    });

    it('forces TLS to the database', () => {
      data.hasResourceProperties('AWS::RDS::DBParameterGroup', {
        Family: 'postgres17',
        Parameters: Match.objectLike({ 'rds.force_ssl': '1' }),
      });
    });

    it('keeps the credentials in a KMS-encrypted secret rotated every 30 days', () => {
      data.hasResourceProperties('AWS::SecretsManager::Secret', {
        KmsKeyId: { 'Fn::GetAtt': [DATA_KEY_LOGICAL_ID, 'Arn'] },
      });
      data.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
      });
    });

    it('admits nothing to the database security group from outside', () => {
      data.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('^algo-trading-prod-db'),
        SecurityGroupEgress: Match.arrayWith([Match.objectLike({ CidrIp: '255.255.255.255/32' })]),
      });
      for (const ingress of Object.values(data.findResources('AWS::EC2::SecurityGroupIngress'))) {
        expect(ingress.Properties.CidrIp).toBeUndefined();
        expect(ingress.Properties.SourceSecurityGroupId).toBeDefined();
      }
    });

    it('names the data bucket algo-trading-prod-data-<account>', () => {
      data.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: { 'Fn::Join': ['', ['algo-trading-prod-data-', { Ref: 'AWS::AccountId' }]] },
      });
    });

    it('blocks public access, encrypts with the data key and versions the bucket', () => {
      data.hasResource('AWS::S3::Bucket', {
        Properties: Match.objectLike({
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              {
                BucketKeyEnabled: true,
                ServerSideEncryptionByDefault: {
                  SSEAlgorithm: 'aws:kms',
                  KMSMasterKeyID: { 'Fn::GetAtt': [DATA_KEY_LOGICAL_ID, 'Arn'] },
                },
              },
            ],
          },
          VersioningConfiguration: { Status: 'Enabled' },
          LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'data-bucket/' }),
        }),
        DeletionPolicy: 'Retain',
      });
    });

    it('denies any request to any bucket (data, access logs, records) without TLS', () => {
      const policies = Object.values(data.findResources('AWS::S3::BucketPolicy'));
      expect(policies).toHaveLength(3);
      for (const policy of policies) {
        expect(policy.Properties.PolicyDocument.Statement).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        );
      }
    });

    it('ages exports and backups out by lifecycle rules', () => {
      data.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: Match.anyValue(),
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({
              Id: 'exports',
              Prefix: 'exports/',
              ExpirationInDays: 2557,
              Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
            }),
            Match.objectLike({
              Id: 'backups',
              Prefix: 'backups/',
              ExpirationInDays: 365,
              Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 30 }],
            }),
            Match.objectLike({
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
              NoncurrentVersionExpiration: { NoncurrentDays: 90 },
            }),
          ]),
        },
      });
    });
  });

  describe('trading base', () => {
    it('names the cluster algo-trading-prod-cluster with Container Insights', () => {
      trading.hasResourceProperties('AWS::ECS::Cluster', {
        ClusterName: 'algo-trading-prod-cluster',
        ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
      });
    });

    it('creates the kill flag as "false"', () => {
      trading.hasResourceProperties('AWS::SSM::Parameter', {
        Name: '/algo-trading/prod/trading_enabled',
        Type: 'String',
        Value: 'false',
      });
    });

    it('creates the flatten request with an id nobody handles', () => {
      trading.hasResourceProperties('AWS::SSM::Parameter', {
        Name: '/algo-trading/prod/flatten_request',
        Type: 'String',
        Value: '{"id":"none","reason":"no flatten requested","requester":"cdk"}',
      });
    });

    it('keeps the service logs in /aws/ecs/algo-trading-prod, encrypted', () => {
      trading.hasResource('AWS::Logs::LogGroup', {
        Properties: {
          LogGroupName: '/aws/ecs/algo-trading-prod',
          RetentionInDays: 90,
          KmsKeyId: Match.anyValue(),
        },
        DeletionPolicy: 'Retain',
      });
    });

    it.each(['algo-trading-prod-page', 'algo-trading-prod-notify'])(
      'creates the KMS-encrypted topic %s with the alarm email subscribed',
      (topicName) => {
        trading.hasResourceProperties('AWS::SNS::Topic', {
          TopicName: topicName,
          KmsMasterKeyId: Match.anyValue(),
        });
        const [topicId] = Object.keys(
          trading.findResources('AWS::SNS::Topic', { Properties: { TopicName: topicName } }),
        );
        trading.hasResourceProperties('AWS::SNS::Subscription', {
          Protocol: 'email',
          Endpoint: 'oncall@desk.example',
          TopicArn: { Ref: topicId },
        });
      },
    );

    it('denies publishing to either topic without TLS', () => {
      const policies = Object.values(trading.findResources('AWS::SNS::TopicPolicy'));
      expect(policies).toHaveLength(2);
      for (const policy of policies) {
        expect(policy.Properties.PolicyDocument.Statement).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        );
      }
    });
  });

  it.each([
    ['network', network],
    ['data', data],
    ['trading', trading],
  ])('matches the %s snapshot', (_name, template) => {
    expect(scrubbedTemplate(template)).toMatchSnapshot();
  });
});

describe('dev foundation stacks', () => {
  const { stacks } = buildStage({ stage: 'dev' });
  const data = Template.fromStack(stacks.data);

  it('is single-AZ and unprotected, as configured', () => {
    expect(stacks.data.terminationProtection).toBe(false);
    data.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceIdentifier: 'algo-trading-dev-db',
      MultiAZ: false,
      DeletionProtection: false,
      EnablePerformanceInsights: false,
    });
  });

  it('uses one NAT gateway', () => {
    Template.fromStack(stacks.network).resourceCountIs('AWS::EC2::NatGateway', 1);
  });
});
