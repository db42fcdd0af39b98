import { CfnOutput, Duration, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as elbv2Actions from 'aws-cdk-lib/aws-elasticloadbalancingv2-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { dataBucketName, operatorNames, opsDiscoveryParameter } from '../../contract/names';
import { stageTokenSet } from '../config/stage-config';
import type { BrokerSecretSet } from '../constructs/broker-secret-set';
import { DASHBOARD_PORT, DashboardService } from '../constructs/dashboard-service';
import type { ServiceImageFactory } from '../constructs/service-images';
import type { TradingDatabase } from '../constructs/trading-database';
import { StageStack, type StageStackProps } from './stage-stack';

export interface DashboardStackProps extends StageStackProps {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  readonly logGroup: logs.ILogGroup;
  readonly flag: ssm.IStringParameter;
  readonly dataKey: kms.IKey;
  readonly database: TradingDatabase;
  readonly topics: { readonly page: sns.ITopic; readonly notify: sns.ITopic };
  /** The functions behind the buttons (emergency stop, resume, control). */
  readonly controlFunctions: readonly lambda.IFunction[];
  readonly images: ServiceImageFactory;
  /** The secrets of the stage's broker: the token card reads them. @default none (paper) */
  readonly brokerSecrets?: BrokerSecretSet;
}

/**
 * The operations dashboard: its Fargate service behind an internet-facing ALB that signs users in
 * (Cognito or the desk's OIDC provider) over HTTPS and passes their identity to the service.
 * Without a certificate there is no sign-in, so the service answers every API call with 401.
 */
export class DashboardStack extends StageStack {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly dashboard: DashboardService;

  constructor(scope: Construct, id: string, props: DashboardStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = operatorNames(config.stage);
    const settings = config.dashboard;
    const tokens = stageTokenSet(config);

    const accessLogs = new s3.Bucket(this, 'LoadBalancerLogs', {
      // ALB access logs support SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket holds the load balancer access logs; logging it again adds nothing.',
    });

    const albSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: `${names.prefix} dashboard load balancer: HTTPS from the desk`,
      allowAllOutbound: false,
    });
    for (const cidr of settings.allowedCidrs) {
      albSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS');
      albSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(80), 'HTTP (redirected)');
    }
    if (settings.allowedCidrs.includes('0.0.0.0/0')) {
      Validations.of(albSecurityGroup).acknowledge({
        id: 'AwsSolutions-EC23',
        reason:
          'Every request is authenticated by the load balancer; narrow it with -c dashboardAllowedCidrs=<office and VPN ranges>.',
      });
    }
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      loadBalancerName: `${names.prefix}-dashboard`,
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: albSecurityGroup,
      dropInvalidHeaderFields: true,
      // A kill or a resume answers when its procedure has finished (flattening, waiting for the
      // service): minutes, not the default 60 s after which the ALB would answer 504 instead.
      idleTimeout: Duration.minutes(16),
    });
    this.loadBalancer.logAccessLogs(accessLogs, 'alb');

    this.dashboard = new DashboardService(this, 'Dashboard', {
      cluster: props.cluster,
      serviceName: names.dashboardService,
      clusterName: names.cluster,
      tradingServiceName: names.tradingService,
      prefix: names.prefix,
      stage: config.stage,
      image: props.images('dashboard'),
      logGroup: props.logGroup,
      flag: props.flag,
      discoveryParameterName: opsDiscoveryParameter(config.stage),
      controlFunctions: props.controlFunctions,
      database: {
        host: props.database.instance.dbInstanceEndpointAddress,
        port: config.database.port,
        name: names.dbName,
        secret: props.database.secret,
        securityGroup: props.database.securityGroup,
      },
      secretsKey: props.dataKey,
      loadBalancerArn: this.loadBalancer.loadBalancerArn,
      bucketName: dataBucketName(config.stage, this.account, config.storage.bucketName),
      topics: { page: props.topics.page.topicArn, notify: props.topics.notify.topicArn },
      desiredCount: settings.desiredCount,
      cpu: settings.cpu,
      memoryMiB: settings.memoryMiB,
      brokerTokens:
        tokens && props.brokerSecrets
          ? {
              set: tokens,
              secrets: props.brokerSecrets,
              registeredEgressIps: config.network.registeredEgressIps,
            }
          : undefined,
    });
    this.dashboard.securityGroup.addIngressRule(
      albSecurityGroup,
      ec2.Port.tcp(DASHBOARD_PORT),
      'from the load balancer',
    );
    albSecurityGroup.addEgressRule(
      this.dashboard.securityGroup,
      ec2.Port.tcp(DASHBOARD_PORT),
      'to the dashboard tasks',
    );

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      targetGroupName: `${names.prefix}-dashboard`,
      vpc: props.vpc,
      port: DASHBOARD_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      targets: [this.dashboard.service],
      deregistrationDelay: Duration.seconds(30),
      healthCheck: { path: '/health', healthyHttpCodes: '200', interval: Duration.seconds(15) },
    });
    const forward = elbv2.ListenerAction.forward([this.targetGroup]);

    if (settings.certificateArn && settings.domainName) {
      const signIn = this.signIn(settings.domainName);
      const https = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(settings.certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
        defaultAction: signIn(forward, elbv2.UnauthenticatedAction.AUTHENTICATE),
      });
      // The page's own calls get a 401 when the session has expired (the page says to reload),
      // not a redirect to the sign-in page that fetch cannot follow.
      https.addAction('ApiDenyWithoutSession', {
        priority: 10,
        conditions: [elbv2.ListenerCondition.pathPatterns(['/api/*'])],
        action: signIn(forward, elbv2.UnauthenticatedAction.DENY),
      });
      this.loadBalancer.addListener('Http', {
        port: 80,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443' }),
      });
      new CfnOutput(this, 'DashboardUrl', { value: `https://${settings.domainName}/` });
    } else {
      // No certificate, no sign-in: the page loads, every API call is refused (no identity).
      this.loadBalancer.addListener('Http', { port: 80, open: false, defaultAction: forward });
      new CfnOutput(this, 'DashboardUrl', {
        value: `http://${this.loadBalancer.loadBalancerDnsName}/ (no sign-in without -c dashboardCertificateArn: every API call is refused)`,
      });
    }
  }

  /** The ALB's sign-in in front of the dashboard: Cognito (this stage's pool) or the desk's OIDC. */
  private signIn(
    domainName: string,
  ): (
    next: elbv2.ListenerAction,
    onUnauthenticatedRequest: elbv2.UnauthenticatedAction,
  ) => elbv2.ListenerAction {
    const names = operatorNames(this.config.stage);
    const auth = this.config.dashboard.auth;
    if (auth.kind === 'oidc') {
      return (next, onUnauthenticatedRequest) =>
        elbv2.ListenerAction.authenticateOidc({
          issuer: auth.issuer,
          authorizationEndpoint: auth.authorizationEndpoint,
          tokenEndpoint: auth.tokenEndpoint,
          userInfoEndpoint: auth.userInfoEndpoint,
          clientId: auth.clientId,
          clientSecret: SecretValue.secretsManager(auth.clientSecretName),
          scope: 'openid email',
          sessionTimeout: Duration.hours(12),
          onUnauthenticatedRequest,
          next,
        });
    }
    const userPool = new cognito.UserPool(this, 'Users', {
      userPoolName: `${names.prefix}-dashboard`,
      // People are added by an administrator; nobody signs up.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { sms: false, otp: true },
      passwordPolicy: {
        minLength: 14,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const id of ['AwsSolutions-COG3', 'AwsSolutions-COG8']) {
      Validations.of(userPool).acknowledge({
        id,
        reason:
          'Threat protection needs the Plus feature plan (a cost per user); MFA is required and only administrators add users.',
      });
    }
    const client = userPool.addClient('Alb', {
      generateSecret: true,
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
        callbackUrls: [`https://${domainName}/oauth2/idpresponse`],
      },
    });
    const domain = userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: `${names.prefix}-${this.account}` },
    });
    return (next, onUnauthenticatedRequest) =>
      new elbv2Actions.AuthenticateCognitoAction({
        userPool,
        userPoolClient: client,
        userPoolDomain: domain,
        sessionTimeout: Duration.hours(12),
        onUnauthenticatedRequest,
        next,
      });
  }
}
