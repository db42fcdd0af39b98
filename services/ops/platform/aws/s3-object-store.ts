import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ObjectExistsError, type ObjectStore, type WriteOptions } from '../ports';

/** Multipart parts of an upload (S3's minimum is 5 MiB, except the last). */
const PART_BYTES = 8 * 1024 * 1024;

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

  /**
   * Streams `body` in 8 MiB parts with the S3 client's own multipart commands (the runtime
   * provides the client; lib-storage would add ~115 KB to every function's bundle). One part or
   * less is a single PutObject. A failure aborts the multipart upload: nothing appears under the
   * key. `ifAbsent` goes on the PutObject or the CompleteMultipartUpload, as S3 takes it.
   */
  async upload(
    key: string,
    body: Readable,
    contentType: string,
    options: WriteOptions = {},
  ): Promise<{ bytes: number }> {
    const target = { Bucket: this.bucket, Key: key };
    const ifNoneMatch = options.ifAbsent ? { IfNoneMatch: '*' } : {};
    let bytes = 0;
    let uploadId: string | undefined;
    const parts: Array<{ ETag?: string; PartNumber: number }> = [];
    const sendPart = async (chunk: Buffer) => {
      uploadId ??= (
        await this.s3.send(
          new CreateMultipartUploadCommand({ ...target, ContentType: contentType }),
        )
      ).UploadId;
      const PartNumber = parts.length + 1;
      const { ETag } = await this.s3.send(
        new UploadPartCommand({ ...target, UploadId: uploadId, PartNumber, Body: chunk }),
      );
      parts.push({ ETag, PartNumber });
    };
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const data of body) {
        const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data as string);
        bytes += chunk.length;
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= PART_BYTES) {
          await sendPart(Buffer.concat(pending));
          pending = [];
          pendingBytes = 0;
        }
      }
      const rest = Buffer.concat(pending);
      if (uploadId === undefined) {
        await this.put(key, rest, contentType, options);
        return { bytes };
      }
      if (rest.length > 0) await sendPart(rest);
      await this.conditional(key, options, () =>
        this.s3.send(
          new CompleteMultipartUploadCommand({
            ...target,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
            ...ifNoneMatch,
          }),
        ),
      );
      return { bytes };
    } catch (error) {
      if (uploadId !== undefined)
        await this.s3
          .send(new AbortMultipartUploadCommand({ ...target, UploadId: uploadId }))
          .catch(() => undefined);
      throw error;
    }
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
