// project_01's custom transfer for sales_daily: net amount per line, and refunds flagged.
import { Effect, Stream } from "effect"
import { defineTransfer, TransferError } from "../../src/etl/transfer.ts"

/** Exact cents of a decimal text (the canonical form of numeric columns); undefined when it is not one. */
const cents = (value: unknown): bigint | undefined => {
  if (typeof value !== "string") return undefined
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(value)
  if (match === null) return undefined
  const whole = BigInt(match[2] ?? "0") * 100n + BigInt((match[3] ?? "").padEnd(2, "0"))
  return match[1] === "-" ? -whole : whole
}

const decimalText = (value: bigint): string => {
  const abs = value < 0n ? -value : value
  return `${value < 0n ? "-" : ""}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`
}

export const sales_daily = defineTransfer({
  columns: (input) => [
    ...input,
    { name: "NET_AMOUNT", type: "decimal", nullable: false, precision: 14, scale: 2 },
    { name: "IS_REFUND", type: "boolean", nullable: false }
  ],
  rows: (rows, context) =>
    Stream.mapEffect(rows, (row) => {
      const amount = cents(row.SALE_AMOUNT)
      const discount = cents(row.DISCOUNT_AMOUNT ?? "0")
      if (amount === undefined || discount === undefined) {
        return Effect.fail(
          new TransferError({
            pipeline: context.pipeline,
            detail: `row SALE_ID=${String(row.SALE_ID)}: SALE_AMOUNT and DISCOUNT_AMOUNT must be decimals`
          })
        )
      }
      const net = amount - discount
      return Effect.succeed({ ...row, NET_AMOUNT: decimalText(net), IS_REFUND: net < 0n })
    })
})
