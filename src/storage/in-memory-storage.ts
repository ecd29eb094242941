import { Construct, IConstruct } from 'constructs';
import { StorageBackend, StorageBindContext, StorageBinding } from './storage-backend';

/**
 * The `inmemory` driver, for tests: everything is lost when the registry stops.
 */
export class InMemoryStorage extends StorageBackend {
  public constructor() {
    super();
  }

  public get driver(): string {
    return 'inmemory';
  }

  /** Each registry binds its own in-memory store: nothing is shared. */
  public partition(_scope: IConstruct, _key: string): StorageBackend {
    return this;
  }

  public bind(_scope: Construct, _context: StorageBindContext): StorageBinding {
    return {
      driver: 'inmemory',
      parameters: {},
      singleReplicaReason: 'the inmemory driver keeps images inside one registry process',
    };
  }
}
