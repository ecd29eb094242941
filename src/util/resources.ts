import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { propError, wholeMebibytes } from './validation';

/** A CPU quantity in cores (`100m`, `2`, `0.5`), or NaN when it is not one. */
function cpuCores(cpu: kplus.Cpu): number {
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(String(cpu.amount));
  return match ? Number(match[1]) / (match[2] ? 1000 : 1) : NaN;
}

/** Throws unless every resource quantity is a finite amount and no request exceeds its limit. */
export function checkResources(scope: IConstruct, resources: kplus.ContainerResources): void {
  const cpu = resources.cpu;
  for (const [name, value] of [['request', cpu?.request], ['limit', cpu?.limit]] as const) {
    if (value !== undefined && !(cpuCores(value) > 0)) {
      throw propError(scope, `resources.cpu.${name}`, `(${value.amount}) must be a positive amount of CPU such as kplus.Cpu.millis(100) or kplus.Cpu.units(2)`);
    }
  }
  if (cpu?.request && cpu?.limit && cpuCores(cpu.request) > cpuCores(cpu.limit)) {
    throw propError(scope, 'resources.cpu.request', `(${cpu.request.amount}) must not exceed 'resources.cpu.limit' (${cpu.limit.amount}): the API server refuses such a pod`);
  }
  for (const kind of ['memory', 'ephemeralStorage'] as const) {
    const quantity = resources[kind];
    const request = quantity?.request !== undefined ? wholeMebibytes(scope, `resources.${kind}.request`, quantity.request, 1) : undefined;
    const limit = quantity?.limit !== undefined ? wholeMebibytes(scope, `resources.${kind}.limit`, quantity.limit, 1) : undefined;
    if (request !== undefined && limit !== undefined && request > limit) {
      throw propError(scope, `resources.${kind}.request`, `(${request} MiB) must not exceed 'resources.${kind}.limit' (${limit} MiB): the API server refuses such a pod`);
    }
  }
}
