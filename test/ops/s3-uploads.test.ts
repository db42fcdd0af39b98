import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../services/ops/platform/aws/s3-object-store';
import { resetAwsOpsFixtures, s3 } from './aws-ops-fixtures';

beforeEach(resetAwsOpsFixtures);

describe('S3 uploads of exports', () => {
  it('puts an upload of one part or less as a single PutObject, create-only when asked', async () => {
    s3.on(PutObjectCommand).resolves({});
    const store = new S3ObjectStore(new S3Client({ region: 'ap-south-1' }), 'bucket');

    const written = await store.upload(
      'records/fills/2026-11-23/fills.csv',
      Readable.from([Buffer.from('a,b\n'), Buffer.from('1,2\n')]),
      'text/csv',
      { ifAbsent: true },
    );

    expect(written).toEqual({ bytes: 8 });
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      Bucket: 'bucket',
      Key: 'records/fills/2026-11-23/fills.csv',
      IfNoneMatch: '*',
      ContentType: 'text/csv',
    });
  });

  it('sends a larger upload in 8 MiB parts and completes it with every part in order', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-2' });
    s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({
      ETag: `etag-${input.PartNumber}`,
    }));
    s3.on(CompleteMultipartUploadCommand).resolves({});
    const store = new S3ObjectStore(new S3Client({ region: 'ap-south-1' }), 'bucket');
    const body = Readable.from(Array.from({ length: 20 }, () => Buffer.alloc(1024 * 1024, 'x')));

    const written = await store.upload('exports/trades/2026-11-23/trades.csv', body, 'text/csv', {
      ifAbsent: true,
    });

    expect(written).toEqual({ bytes: 20 * 1024 * 1024 });
    const sizes = s3
      .commandCalls(UploadPartCommand)
      .map((c) => (c.args[0].input.Body as Buffer).length);
    expect(sizes).toEqual([8 * 1024 * 1024, 8 * 1024 * 1024, 4 * 1024 * 1024]);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
      UploadId: 'up-2',
      IfNoneMatch: '*',
      MultipartUpload: {
        Parts: [
          { ETag: 'etag-1', PartNumber: 1 },
          { ETag: 'etag-2', PartNumber: 2 },
          { ETag: 'etag-3', PartNumber: 3 },
        ],
      },
    });
  });

  it('aborts the multipart upload when a part fails: nothing appears under the key', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
    s3.on(UploadPartCommand).rejects(new Error('connection reset while uploading part'));
    s3.on(AbortMultipartUploadCommand).resolves({});
    const store = new S3ObjectStore(new S3Client({ region: 'ap-south-1' }), 'bucket');
    // Three parts' worth: the upload is multipart.
    const body = Readable.from(Array.from({ length: 20 }, () => Buffer.alloc(1024 * 1024, 'x')));

    await expect(
      store.upload('exports/trades/2026-11-23/trades.csv', body, 'text/csv'),
    ).rejects.toThrow(/connection reset/);
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
      Bucket: 'bucket',
      Key: 'exports/trades/2026-11-23/trades.csv',
      UploadId: 'up-1',
    });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });
});
