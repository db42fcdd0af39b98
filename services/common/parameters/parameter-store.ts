/** One version of a String parameter. */
export interface ParameterValue {
  readonly name: string;
  readonly value: string;
  readonly version: number;
  /** Epoch ms. */
  readonly lastModified: number;
  /** Who wrote it: an IAM ARN in AWS, the operator's name locally. */
  readonly lastModifiedUser?: string;
}

export interface ParameterRead {
  readonly found: ReadonlyMap<string, ParameterValue>;
  /** Names that do not exist. */
  readonly missing: readonly string[];
}

/**
 * The parameters the desk operates by (the kill flag, the flatten request): SSM Parameter Store
 * in AWS, a file on the local stack. Both give versions and history with the same meaning.
 */
export interface ParameterStore {
  readonly kind: 'ssm' | 'local';
  /** Reads several parameters in one call (SSM GetParameters). */
  getParameters(names: readonly string[], signal?: AbortSignal): Promise<ParameterRead>;
  /** Writes a new version (overwrite). `actor` is recorded where the store can record it. */
  putParameter(name: string, value: string, actor: string): Promise<{ version: number }>;
  /** Versions, newest first. */
  history(name: string, limit: number): Promise<ParameterValue[]>;
}
