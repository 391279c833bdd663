/**
 * An s3rver (S3-compatible server, storing on local disk) in a process of its own, so its CPU is not the measured
 * process's: `bench/s3-server.ts <bucket>` prints `listening on <endpoint>` and serves until SIGTERM.
 */
import { startS3Server } from "../test/object-store/s3-server.ts"

const bucket = process.argv[2] ?? "storeflow-bench"
const server = await startS3Server(bucket)
console.log(`listening on ${server.endpoint}`)
process.once("SIGTERM", () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1)
  )
})
