import crypto from "node:crypto"
import * as fs from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { S3Client } from "@aws-sdk/client-s3"
import S3rver from "s3rver"

// s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17) no longer ships:
// every truncated listing answers 500 InternalError. In this (test) process its DES becomes AES-128 with the key and
// IV doubled; the token keeps its layout (8-byte IV, then the ciphertext), so s3rver decodes its own tokens.
const doubled = (bytes: crypto.BinaryLike | crypto.KeyObject | null): Buffer =>
  Buffer.concat([Buffer.from(bytes as Buffer), Buffer.from(bytes as Buffer)])
const { createCipheriv, createDecipheriv } = crypto
Object.assign(crypto, {
  createCipheriv: (algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, options?: object) =>
    algorithm === "des"
      ? createCipheriv("aes-128-cbc", doubled(key), doubled(iv))
      : createCipheriv(algorithm, key, iv, options as never),
  createDecipheriv: (algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, options?: object) =>
    algorithm === "des"
      ? createDecipheriv("aes-128-cbc", doubled(key), doubled(iv))
      : createDecipheriv(algorithm, key, iv, options as never)
})

/** s3rver's built-in account: it checks the access key id (not the signature). */
export const s3rverKey = "S3RVER"

export interface S3Server {
  readonly endpoint: string
  readonly bucket: string
  /** `METHOD /path?query -> status` of every request the server received, in arrival order. */
  readonly requests: Array<string>
  /** A plain client for arranging and inspecting objects behind the Layer's back. */
  readonly client: S3Client
  /** Answers a request instead of s3rver when it returns a response, to play failures s3rver cannot. */
  /** Every TCP connection the server accepted, oldest first, with whether it is still open. */
  readonly connections: Array<{ open: boolean }>
  intercept: (method: string, url: string) => { readonly status: number; readonly body: string } | undefined
  readonly close: () => Promise<void>
}

/**
 * An s3rver on 127.0.0.1 at a random port, storing in a fresh temp directory, with `bucket` created. It is served
 * by our own HTTP server so the tests can see which requests the Layer made (parts, aborts, list pages, batches).
 */
export const startS3Server = async (bucket: string): Promise<S3Server> => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "storeflow-s3rver-"))
  const s3rver = new S3rver({ directory, silent: true, configureBuckets: [{ name: bucket, configs: [] }] })
  await s3rver.configureBuckets()
  const handle = s3rver.callback()
  const requests: Array<string> = []
  const server = createServer((request, response) => {
    const index = requests.push(`${request.method} ${request.url}`) - 1
    response.on("finish", () => {
      requests[index] = `${requests[index]} -> ${response.statusCode}`
    })
    const answer = result.intercept(request.method ?? "", request.url ?? "")
    if (answer === undefined) return handle(request, response)
    request.resume()
    response.writeHead(answer.status, { "content-type": "application/xml" }).end(answer.body)
  })
  const connections: Array<{ open: boolean }> = []
  server.on("connection", (socket) => {
    const connection = { open: true }
    connections.push(connection)
    socket.on("close", () => {
      connection.open = false
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const client = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3rverKey, secretAccessKey: s3rverKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED"
  })
  const result: S3Server = {
    endpoint,
    bucket,
    requests,
    client,
    intercept: () => undefined,
    connections,
    close: async () => {
      client.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      fs.rmSync(directory, { recursive: true, force: true })
    }
  }
  return result
}

/** A port nothing listens on: bound once by the OS, then released. */
export const closedPort = async (): Promise<number> => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
