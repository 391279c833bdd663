import { assert, describe, it } from "@effect/vitest"
import { FILE_HEADER, mergeSection, percentile, printableUrl } from "../../bench/report.ts"

const section = (id: string, body: string) => ({ id, body, passed: true })

describe("BENCHMARKS.md sections", () => {
  it("a new file gets the header and the section between its markers", () => {
    const text = mergeSection(undefined, section("esl", "## ESL sync\n\nfigures"))
    assert.isTrue(text.startsWith(FILE_HEADER))
    assert.include(text, "<!-- bench:esl:start -->\n## ESL sync\n\nfigures\n<!-- bench:esl:end -->")
  })

  it("rewrites only its own section and keeps the others and text written by hand", () => {
    const first = mergeSection(undefined, section("esl", "## ESL sync\n\nold"))
    const both = mergeSection(`${first}\nA note written by hand.\n`, section("etl", "## ETL\n\netl figures"))
    const again = mergeSection(both, section("esl", "## ESL sync\n\nnew"))
    assert.notInclude(again, "old")
    assert.include(again, "<!-- bench:esl:start -->\n## ESL sync\n\nnew\n<!-- bench:esl:end -->")
    assert.include(again, "A note written by hand.")
    assert.include(again, "<!-- bench:etl:start -->\n## ETL\n\netl figures\n<!-- bench:etl:end -->")
    // Sections keep their places: the rewritten one stays before the one added after it.
    assert.isBelow(again.indexOf("bench:esl:start"), again.indexOf("bench:etl:start"))
  })
})

describe("report helpers", () => {
  it("never prints a password of a connection URL", () => {
    assert.strictEqual(printableUrl("postgres://bench:s3cret@db:5432/x"), "postgres://bench:***@db:5432/x")
    assert.strictEqual(
      printableUrl("postgres://postgres@127.0.0.1:5432/test"),
      "postgres://postgres@127.0.0.1:5432/test"
    )
    assert.strictEqual(printableUrl("not a url s3cret"), "(not a URL)")
  })

  it("percentiles are nearest-rank", () => {
    const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10]
    assert.strictEqual(percentile(values, 50), 5)
    assert.strictEqual(percentile(values, 95), 10)
    assert.isNaN(percentile([], 50))
  })
})
