/** All synthesized objects but the Secrets, as one text: where a credential must never appear. */
export function textOutsideSecrets(objects: any[]): string {
  return JSON.stringify(objects.filter((o) => o.kind !== 'Secret'));
}
