/**
 * Jest snapshot serializer: asset hashes change with every edit of bundled code, so they are replaced by a
 * placeholder and snapshots change only when the infrastructure does.
 */
const ASSET_HASH = /[0-9a-f]{64}/g;

export function test(value: unknown): boolean {
  return typeof value === 'string' && new RegExp(ASSET_HASH.source).test(value);
}

export function serialize(value: string): string {
  return JSON.stringify(value.replace(ASSET_HASH, '<asset-hash>'));
}
