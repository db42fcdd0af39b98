import { AUDIT_SPOOL_PREFIX } from '../../../contract/names';
import type { AuditSpool, SpooledAudit } from '../../common/db/audit-spool';
import type { ObjectStore } from './ports';

/**
 * The audit spool of a Lambda (or the CLI with its own credentials): one object per row under
 * `audit-spool/` in the stage's data bucket. A put is durable once S3 answers, and each function
 * or operator writes its own keys, so there is no shared file to lock; keys sort by time.
 */
export class ObjectStoreAuditSpool implements AuditSpool {
  readonly kind: string;

  constructor(private readonly objects: ObjectStore) {
    this.kind = `object store (${objects.location}/${AUDIT_SPOOL_PREFIX})`;
  }

  async append(item: SpooledAudit): Promise<void> {
    await this.objects.put(this.keyOf(item.key), JSON.stringify(item), 'application/json');
  }

  async list(): Promise<SpooledAudit[]> {
    const keys = await this.objects.list(AUDIT_SPOOL_PREFIX);
    const items = await Promise.all(
      keys.map(async (key) => {
        const body = await this.objects.get(key);
        // Removed by another flusher between the listing and the read.
        return body ? [JSON.parse(body.toString('utf8')) as SpooledAudit] : [];
      }),
    );
    return items.flat().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async remove(keys: readonly string[]): Promise<void> {
    for (const key of keys) await this.objects.delete(this.keyOf(key));
  }

  private keyOf(key: string): string {
    return `${AUDIT_SPOOL_PREFIX}${key}.json`;
  }
}
