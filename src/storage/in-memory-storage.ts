import { Construct } from 'constructs';
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

  public bind(_scope: Construct, _context: StorageBindContext): StorageBinding {
    return {
      driver: 'inmemory',
      parameters: {},
      singleReplicaReason: 'the inmemory driver keeps images inside one registry process',
    };
  }
}
