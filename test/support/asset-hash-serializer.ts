/**
 * Jest snapshot serializer: asset hashes change with every edit of bundled code, so they are replaced by a
 * placeholder and snapshots change only when the infrastructure does. The training bundle's folder on FSx is named
 * after its asset hash too (TrainingBundle.dir: the first 20 hex digits).
 */
const ASSET_HASH = /[0-9a-f]{64}/g;
const BUNDLE_DIR = /(\/fsx\/trainium-cpt\/training\/)[0-9a-f]{20}\b/g;

export function test(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    (new RegExp(ASSET_HASH.source).test(value) || new RegExp(BUNDLE_DIR.source).test(value))
  );
}

export function serialize(value: string): string {
  return JSON.stringify(value.replace(ASSET_HASH, '<asset-hash>').replace(BUNDLE_DIR, '$1<bundle-id>'));
}
