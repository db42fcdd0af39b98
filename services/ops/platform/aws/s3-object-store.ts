import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ObjectExistsError, type ObjectStore, type WriteOptions } from '../ports';

/** The stage's data bucket. Uploads are multipart: an interrupted one leaves no object. */
export class S3ObjectStore implements ObjectStore {
  readonly location: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {
    this.location = `s3://${bucket}`;
  }

  async put(
    key: string,
    body: string | Buffer,
    contentType: string,
    options: WriteOptions = {},
  ): Promise<void> {
    await this.conditional(key, options, () =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ...(options.ifAbsent ? { IfNoneMatch: '*' } : {}),
        }),
      ),
    );
  }

  /** S3 answers a write whose `If-None-Match: *` failed 412 (or 409 while another write races). */
  private async conditional<T>(key: string, options: WriteOptions, write: () => Promise<T>) {
    try {
      return await write();
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (
        options.ifAbsent &&
        (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict')
      )
        throw new ObjectExistsError(key);
      throw error;
    }
  }

  async upload(
    key: string,
    body: Readable,
    contentType: string,
    options: WriteOptions = {},
  ): Promise<{ bytes: number }> {
    let bytes = 0;
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    const upload = new Upload({
      client: this.s3,
      // lib-storage passes IfNoneMatch to PutObject (one part) and CompleteMultipartUpload.
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        ...(options.ifAbsent ? { IfNoneMatch: '*' } : {}),
      },
      queueSize: 2,
      partSize: 8 * 1024 * 1024,
      // An error aborts the multipart upload: no partial object under the key.
      leavePartsOnError: false,
    });
    await this.conditional(key, options, () => upload.done());
    return { bytes };
  }

  async get(key: string): Promise<Buffer | undefined> {
    const out = await this.getObject(key);
    if (!out) return undefined;
    return Buffer.from(
      await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
  }

  async download(key: string): Promise<Readable | undefined> {
    // In Node.js the SDK's body is a Readable (an IncomingMessage with helpers mixed in).
    return (await this.getObject(key))?.Body as Readable | undefined;
  }

  private async getObject(key: string) {
    try {
      return await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.NextContinuationToken;
    } while (token);
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
