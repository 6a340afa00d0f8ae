// SPDX-License-Identifier: MIT
// The JavaScript side of metered_bench's `genai` section: prices usages with
// @pydantic/genai-prices (pinned in package.json, installed by scripts/bench.sh into
// build/bench/genai_prices/node_modules; bench-only, never committed) and prints one JSON
// document on stdout.
//
//   node genai_prices.mjs <node_modules dir> <usages.json> <iterations>
//
// usages.json: [{"provider", "model", "at" (ISO instant), "input_tokens", "cached_input_tokens",
// "cache_write_tokens", "cache_write_1h_tokens", "output_tokens"}], counts disjoint as in
// metered's LlmUsage (input_tokens is the fresh input only). genai-prices counts them nested
// (its input_tokens is every input token; cache_write_1h_tokens is a part of
// cache_write_tokens), so they are added up here.
//
// For each usage it prints (a) the prices genai-prices applies (model_price at `at`), every
// number as JS prints it (String(x): the text metered reads exactly), (b) ns per calcPrice
// call, timed over `iterations` calls after as many warm-up calls, and (c) total_price as JS
// prints it ("0.0016150000000000001").
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import path from 'node:path'

const [modulesDir, usagesPath, iterationsText] = process.argv.slice(2)
if (!modulesDir || !usagesPath) {
  console.error('usage: node genai_prices.mjs <node_modules dir> <usages.json> [iterations]')
  process.exit(2)
}
const iterations = Number(iterationsText ?? 200000)
// Resolve the package from the build directory's node_modules, not from this file's folder.
const require = createRequire(path.join(path.resolve(modulesDir), '..', 'package.json'))
const { calcPrice } = require('@pydantic/genai-prices')
const version = JSON.parse(
  readFileSync(path.join(modulesDir, '@pydantic', 'genai-prices', 'package.json'), 'utf8'),
).version

const text = (price) =>
  typeof price === 'number'
    ? String(price)
    : { base: String(price.base), tiers: price.tiers.map((t) => ({ start: t.start, price: String(t.price) })) }

let sink = 0  // keeps every result alive, so no call can be optimized away
const results = []
for (const u of JSON.parse(readFileSync(usagesPath, 'utf8'))) {
  const cacheWrite = (u.cache_write_tokens ?? 0) + (u.cache_write_1h_tokens ?? 0)
  const usage = {
    input_tokens: (u.input_tokens ?? 0) + (u.cached_input_tokens ?? 0) + cacheWrite,
    cache_read_tokens: u.cached_input_tokens ?? 0,
    cache_write_tokens: cacheWrite,
    cache_write_1h_tokens: u.cache_write_1h_tokens ?? 0,
    output_tokens: u.output_tokens ?? 0,
  }
  const options = { providerId: u.provider, timestamp: new Date(u.at) }
  const first = calcPrice(usage, u.model, options)
  if (first === null) {
    results.push({ provider: u.provider, model: u.model, error: 'genai-prices has no price for this model' })
    continue
  }
  for (let i = 0; i < iterations; ++i) sink += calcPrice(usage, u.model, options).total_price  // warm-up
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; ++i) sink += calcPrice(usage, u.model, options).total_price
  const ns = Number(process.hrtime.bigint() - start) / iterations
  const prices = {}
  for (const [key, price] of Object.entries(first.model_price)) if (price !== undefined) prices[key] = text(price)
  results.push({
    provider: u.provider,
    model: u.model,
    model_id: first.model.id,
    prices,
    total: String(first.total_price),
    ns_per_call: ns,
  })
}
process.stdout.write(JSON.stringify({ package: version, node: process.version, iterations, sink, results }) + '\n')
