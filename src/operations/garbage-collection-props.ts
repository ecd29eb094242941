import { Cron, Duration } from 'cdk8s';
import type { RegistryDeployment } from '../registry-deployment';

/**
 * Options of a `GarbageCollection`: its properties but the registry (what `RegistryChart` takes).
 */
export interface GarbageCollectionOptions {
  /**
   * When the job runs (cluster time zone unless `timeZone` is set). At most once an hour, with the minute given
   * (`Cron.schedule()` leaves every field it is not given at `*`, so set `minute`).
   * @default - Sundays at 03:00
   */
  readonly schedule?: Cron;

  /**
   * Time zone of `schedule`, such as `Europe/Berlin` (CronJob `timeZone`).
   * @default - the time zone of the kube-controller-manager, usually UTC
   */
  readonly timeZone?: string;

  /**
   * Only report what would be deleted (`--dry-run`). A dry run changes nothing, so it runs without a
   * maintenance window: the registry keeps accepting pushes.
   * @default false
   */
  readonly dryRun?: boolean;

  /**
   * Also delete manifests that no tag references (`--delete-untagged`). Refused on registry 2.8, which
   * deletes the per-platform children of multi-arch images with it (fixed in 3.0).
   * @default false - only blobs that no manifest references are deleted
   */
  readonly deleteUntagged?: boolean;

  /**
   * The image of the window's steps (the switch, the restarts, the waits), which must provide `kubectl` as its
   * `kubectl` command; no shell is needed.
   * @default DEFAULT_KUBECTL_IMAGE - `registry.k8s.io/kubectl`, pinned by tag
   */
  readonly kubectlImage?: string;

  /**
   * The image that flushes a redis blob descriptor cache after collection, which must provide `redis-cli`
   * 7.0 or later (for `-e`). Used only when the registry has a `RedisBlobDescriptorCache`.
   * @default DEFAULT_REDIS_IMAGE - the official `redis` image, pinned by tag
   */
  readonly redisImage?: string;

  /**
   * How long each wait of the maintenance window (the end of the registry pods that started before the switch,
   * terminating ones included; the read-only replacements becoming ready) may take before the job fails,
   * leaving the registry read-only.
   * @default Duration.minutes(10)
   */
  readonly rolloutTimeout?: Duration;

  /**
   * Create the CronJob suspended, for example to run it only by hand (`kubectl create job --from=cronjob/...`).
   * @default false
   */
  readonly suspend?: boolean;
}

/**
 * Properties of a `GarbageCollection`.
 */
export interface GarbageCollectionProps extends GarbageCollectionOptions {
  /** The registry whose storage is collected; the job runs its image, config, env, volumes and user. */
  readonly registry: RegistryDeployment;
}
