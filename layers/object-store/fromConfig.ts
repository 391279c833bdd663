import * as path from "node:path"
import type { Layer } from "effect"
import type { ObjectStoreConfig } from "../../src/domain/TenantConfig.ts"
import type { ObjectStore } from "../../src/services/ObjectStore.ts"
import { layerFileSystem } from "./filesystem.ts"
import { layerS3 } from "./s3.ts"

/**
 * The ObjectStore Layer a tenant's `object_store` asks for. A filesystem store's path is resolved against the
 * directory storeflow runs in, and a non-empty `prefix` becomes a sub-folder, as it is a key prefix on S3.
 */
export const objectStoreLayer = (config: ObjectStoreConfig): Layer.Layer<ObjectStore> => {
  if (config.type === "filesystem") {
    const segments = config.prefix.split("/").filter((segment) => segment !== "")
    return layerFileSystem(path.resolve(process.cwd(), config.path, ...segments))
  }
  return layerS3({
    bucket: config.bucket,
    prefix: config.prefix,
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.force_path_style,
    accessKeyId: config.access_key_id,
    secretAccessKey: config.secret_access_key
  })
}
