// Writes cco's price snapshot from @pydantic/genai-prices, and the golden
// cases that prove server/prices prices like the package's own calcPrice.
//
//   node scripts/prices/snapshot.mjs --pkg DIR --out server/prices [--npm-time FILE]
//
// DIR is the installed package (node_modules/@pydantic/genai-prices);
// FILE is `npm view --json PKG@VERSION time`, whose entry for the version is
// the snapshot's date (the data carries no date of its own). `make prices`
// runs it; it needs nothing beyond node and the package.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import vm from 'node:vm'

import { anthropicCases, overlapCases, overlapProvider, syntheticCases, syntheticProvider } from './cases.mjs'

const { values: args } = parseArgs({
  options: { pkg: { type: 'string' }, out: { type: 'string' }, 'npm-time': { type: 'string' } },
})
if (!args.pkg || !args.out) {
  console.error('usage: snapshot.mjs --pkg DIR --out DIR [--npm-time FILE]')
  process.exit(2)
}

const pkgJSON = JSON.parse(readFileSync(join(args.pkg, 'package.json'), 'utf8'))
const distFile = join(args.pkg, 'dist', 'index.js')
const { calcPrice, extractUsage, findProvider } = await import(pathToFileURL(distFile).href)
const registry = readUnits(readFileSync(distFile, 'utf8'))

const anthropic = findProvider({ providerId: 'anthropic' })
if (!anthropic) throw new Error('the package has no anthropic provider')
const date = snapshotDate(pkgJSON.version)

const snapshot = {
  date: date.date,
  date_source: date.source,
  license: pkgJSON.license,
  package: pkgJSON.name,
  provider: providerSnapshot(anthropic),
  units: unitsFor(anthropic),
  version: pkgJSON.version,
}
write(join(args.out, 'anthropic.json'), snapshot)

const golden = anthropicCases(anthropic, date.date).map((c) =>
  priced(c, (usage, model, timestamp) => calcPrice(usage, model, { providerId: 'anthropic', timestamp }), anthropic),
)
write(join(args.out, 'testdata', 'golden.json'), golden)

// The synthetic providers exercise the forms the Anthropic data does not
// use today (ends_with, contains, and, time-of-day prices, several tiers,
// a 5-minute write price, per-request prices, overlapping units), priced
// by the same calcPrice through its custom-provider option.
const synthetic = [
  [syntheticProvider(anthropic), syntheticCases()],
  [overlapProvider(), overlapCases()],
].map(([provider, cases]) => ({
  cases: cases.map((c) =>
    priced(c, (usage, model, timestamp) => calcPrice(usage, model, { provider, timestamp }), provider),
  ),
  snapshot: { ...snapshot, provider: providerSnapshot(provider), units: unitsFor(provider) },
}))
write(join(args.out, 'testdata', 'synthetic.json'), synthetic)
console.log(`prices: ${pkgJSON.name}@${pkgJSON.version} (${date.date}, ${date.source}): ` +
  `${anthropic.models.length} models, ${golden.length} golden cases`)

// priced runs one case through the package: the Messages API usage goes
// through the provider's extractor, then calcPrice. A throw is kept as the
// case's expected error.
function priced(c, calc, provider) {
  const out = { ...c, match: null, price_usd: null }
  try {
    const { usage } = extractUsage(provider, { model: c.model, usage: c.usage })
    const r = calc(usage, c.model, new Date(c.at))
    if (r) {
      out.match = r.model.id
      out.price_usd = r.total_price
    }
  } catch (e) {
    out.error = e.message
    const r = calc({ input_tokens: 0, output_tokens: 0 }, c.model, new Date(c.at))
    out.match = r ? r.model.id : null
  }
  return out
}

// providerSnapshot keeps what pricing needs, as the dataset has it: the
// models in their order (the first match wins) and the default extractor,
// which is how a Messages API usage maps onto the dataset's fields.
function providerSnapshot(p) {
  if (p.fallback_model_providers?.length) {
    throw new Error(`${p.id}: fallback_model_providers would need other providers in the snapshot`)
  }
  const extractor = p.extractors?.find((e) => e.api_flavor === 'default')
  if (!extractor) throw new Error(`${p.id}: no default extractor`)
  for (const m of p.models) {
    checkMatch(m.id, m.match)
  }
  return { extractor, id: p.id, models: p.models, name: p.name, pricing_urls: p.pricing_urls }
}

// checkMatch refuses a regex whose meaning could differ between JavaScript
// and Go's RE2: the Go side compiles them as they are, so only syntax both
// read the same way is let through (no '.', no negated class, no
// lookaround, no backreference, no flags). A rule outside it needs a
// translation here before it can be shipped.
function checkMatch(model, rule) {
  for (const sub of [...(rule.or ?? []), ...(rule.and ?? [])]) checkMatch(model, sub)
  if (rule.regex === undefined) return
  const token = /\\[d.\-\\/^$()[\]{}?*+|@:_]|\[[^\]^\\]*\]|\(\?:|[()|^$?*+]|\{\d+(,\d*)?\}|[A-Za-z0-9 _@:/-]/y
  const re = rule.regex
  for (let i = 0; i < re.length; i = token.lastIndex) {
    token.lastIndex = i
    if (!token.exec(re)) {
      throw new Error(`${model}: regex ${JSON.stringify(re)} at ${i}: not known to mean the same in Go; translate it`)
    }
  }
}

// unitsFor is the part of the package's unit registry pricing p touches:
// every priced unit and extracted field, their ancestors, and the joins of
// priced units that overlap, so the Go side can check each model's prices
// the way calcPrice does.
function unitsFor(p) {
  const byPrice = new Map(Object.entries(registry).map(([k, u]) => [u.price_key ?? k, k]))
  const keys = new Set()
  const priced = []
  for (const m of p.models) {
    for (const mp of Array.isArray(m.prices) ? m.prices.map((c) => c.prices) : [m.prices]) {
      const set = Object.keys(mp).map((pk) => {
        const key = byPrice.get(pk)
        if (!key) throw new Error(`${p.id}: price ${pk} of ${m.id} is no unit of the package`)
        return key
      })
      set.forEach((k) => keys.add(k))
      priced.push(set)
    }
  }
  for (const { dest } of providerSnapshot(p).extractor.mappings) {
    if (!registry[dest] || dest === 'requests') throw new Error(`${p.id}: extractor destination ${dest} is no reported unit`)
    keys.add(dest)
  }
  for (const k of [...keys]) {
    for (const [a, u] of Object.entries(registry)) if (a !== k && within(u, registry[k])) keys.add(a)
  }
  for (const set of priced) {
    for (const a of set) {
      for (const b of set) {
        if (!compatible(registry[a], registry[b])) continue
        const join = Object.entries(registry).find(([, u]) => sameDims(u.dimensions, { ...registry[a].dimensions, ...registry[b].dimensions }))
        if (join) keys.add(join[0])
      }
    }
  }
  return Object.fromEntries([...keys].sort().map((k) => [k, registry[k]]))
}

function within(a, b) {
  return Object.entries(a.dimensions).every(([k, v]) => b.dimensions[k] === v)
}

function compatible(a, b) {
  return Object.entries(a.dimensions).every(([k, v]) => b.dimensions[k] === undefined || b.dimensions[k] === v)
}

function sameDims(a, b) {
  return Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v)
}

// readUnits takes the unit registry out of the package's code: it is not
// exported, and it is what gives each price key its unit (per million
// tokens, per thousand searches) and its place in the hierarchy (a cache
// read is part of the input). It is the object the class with
// ancestorUsageKeys is built from; it is evaluated as the literal it is,
// with nothing else in scope.
function readUnits(src) {
  const cls = /class\s+([\w$]+)\s*\{(?:(?!\nclass )[\s\S])*?\n\s*ancestorUsageKeys\(/.exec(src)
  if (!cls) throw new Error('unit registry: no class with ancestorUsageKeys in dist/index.js')
  const use = new RegExp(`new\\s+${cls[1].replace(/\$/g, '\\$')}\\(\\s*([\\w$]+)\\s*\\)`).exec(src)
  if (!use) throw new Error(`unit registry: ${cls[1]} is never built`)
  const start = new RegExp(`[\\s,]${use[1].replace(/\$/g, '\\$')}\\s*=\\s*\\{`).exec(src)
  if (!start) throw new Error(`unit registry: ${use[1]} is not assigned an object literal`)
  const open = start.index + start[0].length - 1
  let depth = 0
  let end = -1
  for (let i = open, quote = null; i < src.length && end < 0; i++) {
    const ch = src[i]
    if (quote) {
      if (ch === '\\') i++
      else if (ch === quote) quote = null
    } else if (ch === '"' || ch === "'") quote = ch
    else if (ch === '{') depth++
    else if (ch === '}' && --depth === 0) end = i
  }
  const units = vm.runInNewContext(`(${src.slice(open, end + 1)})`, Object.create(null))
  for (const [k, u] of Object.entries(units)) {
    if (typeof u.per !== 'number' || typeof u.dimensions !== 'object') throw new Error(`unit registry: ${k} is malformed`)
  }
  if (!units.input_tokens || !units.cache_read_tokens) throw new Error('unit registry: token units missing')
  return JSON.parse(JSON.stringify(units))
}

function snapshotDate(version) {
  if (args['npm-time']) {
    const published = JSON.parse(readFileSync(args['npm-time'], 'utf8'))[version]
    if (!published) throw new Error(`${args['npm-time']}: no publish time for ${version}`)
    return { date: new Date(published).toISOString().slice(0, 10), source: 'npm publish time of the version' }
  }
  return { date: new Date().toISOString().slice(0, 10), source: 'date of generation' }
}

// write is stable: keys sorted at every level, arrays in their order,
// but for a price object's keys, which keep the dataset's order: calcPrice
// adds the prices up in that order, and the Go side follows it so that the
// two agree to the last bit.
function write(file, value) {
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, JSON.stringify(sorted(value), null, 2) + '\n')
}

function sorted(v, parent) {
  if (Array.isArray(v)) return v.map((x) => sorted(x))
  if (v && typeof v === 'object') {
    const keys = parent === 'prices' ? Object.keys(v) : Object.keys(v).sort()
    return Object.fromEntries(keys.map((k) => [k, sorted(v[k], k)]))
  }
  return v
}
