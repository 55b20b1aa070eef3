// The golden cases: model ids, Messages API usages and instants. Their
// prices are not written here; snapshot.mjs asks the package for them.

// Usages as the Messages API reports them (input_tokens excludes cached
// tokens), one per pricing path.
const usages = {
  plain: { input_tokens: 1234, output_tokens: 567 },
  cache_read: { cache_read_input_tokens: 45678, input_tokens: 321, output_tokens: 890 },
  cache_write_split: {
    cache_creation: { ephemeral_1h_input_tokens: 3000, ephemeral_5m_input_tokens: 2000 },
    cache_creation_input_tokens: 5000,
    cache_read_input_tokens: 7000,
    input_tokens: 11,
    output_tokens: 1300,
  },
  cache_write_5m_only: {
    cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 2500 },
    cache_creation_input_tokens: 2500,
    input_tokens: 40,
    output_tokens: 60,
  },
  cache_write_1h_only: {
    cache_creation: { ephemeral_1h_input_tokens: 2500, ephemeral_5m_input_tokens: 0 },
    cache_creation_input_tokens: 2500,
    input_tokens: 40,
    output_tokens: 60,
  },
  // No split: the dataset prices every write at cache_write_mtok.
  cache_write_unsplit: { cache_creation_input_tokens: 2500, input_tokens: 40, output_tokens: 60 },
  // A split that covers part of the writes: the rest is cache_write_mtok.
  cache_write_part_split: {
    cache_creation: { ephemeral_1h_input_tokens: 1000 },
    cache_creation_input_tokens: 2500,
    input_tokens: 40,
    output_tokens: 60,
  },
  claude_code_turn: {
    cache_creation: { ephemeral_1h_input_tokens: 1843, ephemeral_5m_input_tokens: 0 },
    cache_creation_input_tokens: 1843,
    cache_read_input_tokens: 118422,
    input_tokens: 3,
    output_tokens: 712,
  },
  web_search: { input_tokens: 2100, output_tokens: 450, server_tool_use: { web_search_requests: 3 } },
  zero: { input_tokens: 0, output_tokens: 0 },
  // The long-context tier is on the total input, cached tokens included.
  tier_at_threshold: {
    cache_creation_input_tokens: 50000,
    cache_read_input_tokens: 100000,
    input_tokens: 50000,
    output_tokens: 1000,
  },
  tier_crossed: {
    cache_creation: { ephemeral_1h_input_tokens: 10001, ephemeral_5m_input_tokens: 0 },
    cache_creation_input_tokens: 10001,
    cache_read_input_tokens: 150000,
    input_tokens: 40000,
    output_tokens: 3000,
  },
  tier_crossed_uncached: { input_tokens: 250000, output_tokens: 4000, server_tool_use: { web_search_requests: 1 } },
  // No Anthropic model prices 5-minute writes apart, so their count is
  // not checked against the total.
  split_over_total: {
    cache_creation: { ephemeral_1h_input_tokens: 300, ephemeral_5m_input_tokens: 300 },
    cache_creation_input_tokens: 500,
    input_tokens: 10,
    output_tokens: 10,
  },
  // Usages calcPrice refuses (where cache writes are priced): the Go side
  // must refuse them too.
  invalid_split_without_total: {
    cache_creation: { ephemeral_5m_input_tokens: 200 },
    input_tokens: 10,
    output_tokens: 10,
  },
  invalid_1h_over_total: {
    cache_creation: { ephemeral_1h_input_tokens: 600 },
    cache_creation_input_tokens: 500,
    input_tokens: 10,
    output_tokens: 10,
  },
}

const tiered = ['tier_at_threshold', 'tier_crossed', 'tier_crossed_uncached']
const always = Object.keys(usages).filter((k) => !tiered.includes(k) && k !== 'web_search')

function hasTiers(model) {
  const all = Array.isArray(model.prices) ? model.prices.map((c) => c.prices) : [model.prices]
  return all.some((p) => Object.values(p).some((v) => typeof v === 'object'))
}

function prices(model) {
  return Array.isArray(model.prices) ? model.prices.map((c) => c.prices) : [model.prices]
}

// instants are when to price a model: the snapshot's date, and either side
// of each date its prices change.
function instants(model, date) {
  const out = [`${date}T12:00:00.000Z`]
  for (const c of Array.isArray(model.prices) ? model.prices : []) {
    if (c.constraint?.type === 'start_date') {
      const at = new Date(`${c.constraint.start_date}T00:00:00Z`)
      out.push(new Date(at.getTime() - 1).toISOString(), at.toISOString())
    }
  }
  return out
}

// ids derived from a model's rules: each literal, and the dated and Vertex
// (@) forms of each prefix.
function ruleIds(rule) {
  if (rule.or || rule.and) return [...(rule.or ?? []), ...(rule.and ?? [])].flatMap(ruleIds)
  if (rule.equals) return [rule.equals]
  if (rule.starts_with) return [rule.starts_with, `${rule.starts_with}-20250929`, `${rule.starts_with}@20250929`]
  return []
}

// Ids the rules are expected to take or refuse, beyond those derived.
const extraIds = [
  'claude-sonnet-4-5-20250929',
  'claude-3-5-haiku-latest',
  'claude-3-5-haiku-20241022',
  'claude-3-7-sonnet-20250219',
  'claude-opus-4-20250514',
  'claude-opus-4-1-20250805',
  'claude-sonnet-4-20250514',
  'claude-sonnet-4@20250514',
  'claude-3-5-sonnet@20240620',
  'claude-opus-5-20261231',
  'claude-opus-5-5-20261231',
  'claude-opus-5-5-2026123',
  'claude-opus-5-5-2026-12-31',
  'claude-fable-5-20260101',
  'claude-fable-5-1-20260101',
  'claude-fable-5-202601011',
  'claude-sonnet-5-5',
  'claude-2.1',
  'claude-v2',
  ' Claude-Opus-5-5 ',
  'CLAUDE-HAIKU-4-5',
  '\ufeffclaude-opus-5-5', // JavaScript's trim takes U+FEFF
  '\u0085claude-opus-5-5', // and leaves U+0085
  'claude-ha\u0130ku-4-5', // JavaScript lowercases U+0130 to two code points, Go to one
  'anthropic.claude-3-5-sonnet-20240620-v1:0',
  'claude-instant-1',
  'claude-unknown-9',
  'claude',
  'gpt-4o',
  'opus-5-5',
  '',
  '   ',
]

export function anthropicCases(provider, date) {
  const cases = []
  for (const m of provider.models) {
    const names = [...always]
    if (prices(m).some((p) => p.web_searches_kcount !== undefined)) names.push('web_search')
    if (hasTiers(m)) names.push(...tiered)
    for (const at of instants(m, date)) {
      for (const name of names) cases.push({ at, model: m.id, name, usage: usages[name] })
    }
  }
  const ids = [...new Set([...provider.models.flatMap((m) => ruleIds(m.match)), ...extraIds])]
  for (const id of ids) cases.push({ at: `${date}T12:00:00.000Z`, model: id, name: 'id', usage: usages.plain })
  return cases
}

// syntheticProvider is a provider of made-up models that uses the rule and
// price forms the Anthropic data does not, with Anthropic's extractor.
export function syntheticProvider(anthropic) {
  return {
    api_pattern: 'https://synthetic\\.invalid',
    extractors: anthropic.extractors.filter((e) => e.api_flavor === 'default'),
    id: 'synthetic',
    models: [
      { id: 'ends', match: { ends_with: '-ENDS' }, prices: { input_mtok: 1, output_mtok: 2 } },
      {
        id: 'and',
        match: { and: [{ contains: 'Mid' }, { starts_with: 'syn-' }, { or: [{ ends_with: '-x' }, { equals: 'syn-mid' }] }] },
        prices: { input_mtok: 3, output_mtok: 4 },
      },
      { id: 'regex-upper', match: { regex: '^SYN-UPPER$' }, prices: { input_mtok: 5, output_mtok: 5 } },
      { id: 'regex', match: { regex: 'syn-re-[0-9]{2}(-v[12])?$' }, prices: { input_mtok: 6, output_mtok: 6 } },
      { id: 'dated', match: { equals: 'syn-dated-2025-01-31' }, prices: { input_mtok: 7, output_mtok: 7 } },
      // Reached only by ids whose dates are spelled out: never by an
      // invalid date (20250231) or one not followed by '-', ':' or the end.
      {
        id: 'dated-prefix',
        match: { or: [{ starts_with: 'syn-pre-2025-01-31' }, { starts_with: 'syn-pre-2025-02-31' }] },
        prices: { input_mtok: 7.25, output_mtok: 7.25 },
      },
      { id: 'dated-many', match: { equals: 'syn-many-2025-01-01-2024-02-29:x' }, prices: { input_mtok: 7.5, output_mtok: 7.5 } },
      { id: 'order-first', match: { starts_with: 'syn-order' }, prices: { input_mtok: 8, output_mtok: 8 } },
      { id: 'order-second', match: { equals: 'syn-order-2' }, prices: { input_mtok: 9, output_mtok: 9 } },
      {
        id: 'tiers',
        match: { starts_with: 'syn-tiers' },
        prices: {
          cache_read_mtok: { base: 0.1, tiers: [{ price: 0.3, start: 2000 }, { price: 0.2, start: 1000 }] },
          cache_write_1h_mtok: 2.5,
          cache_write_5m_mtok: 1.5,
          cache_write_mtok: 1.25,
          input_mtok: { base: 1, tiers: [{ price: 3, start: 2000 }, { price: 2, start: 1000 }] },
          output_mtok: { base: 4, tiers: [{ price: 5, start: 1000 }] },
          requests_kcount: 1.5,
          web_searches_kcount: 10,
        },
      },
      {
        id: 'timed',
        match: { starts_with: 'syn-timed' },
        prices: [
          { prices: { input_mtok: 1, output_mtok: 1 } },
          { constraint: { start_date: '2026-01-01', type: 'start_date' }, prices: { input_mtok: 2, output_mtok: 2 } },
          {
            constraint: { end_time: '06:30:00Z', start_time: '22:00:00+02:00', type: 'time_of_date' },
            prices: { input_mtok: 0.5, output_mtok: 0.5 },
          },
          {
            constraint: { end_time: '17:00:00Z', start_time: '12:00:00.5Z', type: 'time_of_date' },
            prices: { input_mtok: 0.25, output_mtok: 0.25 },
          },
        ],
      },
    ],
    name: 'Synthetic',
  }
}

export function syntheticCases() {
  const at = '2026-06-01T09:00:00.000Z'
  const cases = []
  const ids = [
    'syn-a-ends', 'syn-a-Ends', 'syn-a-ends-x', 'syn-mid', 'syn-midway-x', 'x-syn-mid-x', 'syn-mid-y',
    'SYN-UPPER', 'syn-upper', 'syn-re-12', 'syn-re-12-v2', 'a-syn-re-99-v1', 'syn-re-1', 'syn-re-123',
    'syn-dated-20250131', 'syn-dated-2025-01-31', 'syn-dated-20250231', 'syn-dated-20250131x',
    'syn-pre-20250131', 'syn-pre-20250131-x', 'syn-pre-20250131:x', 'syn-pre-20250131x', 'syn-pre-20250231',
    'syn-pre-20250231-x', 'syn-many-20250101-20240229:x', 'syn-many-20250101-2024-02-29:x', 'syn-many-20250101-20250229:x',
    'syn-many-202501011-20240229:x', 'syn-many-20250101-20240229x',
    'syn-order-2', 'syn-order-3', 'syn-nothing',
  ]
  for (const model of ids) cases.push({ at, model, name: 'id', usage: usages.plain })
  for (const name of Object.keys(usages)) cases.push({ at, model: 'syn-tiers', name, usage: usages[name] })
  cases.push(
    { at, model: 'syn-tiers', name: 'tier_first', usage: { cache_read_input_tokens: 900, input_tokens: 101, output_tokens: 10 } },
    { at, model: 'syn-tiers', name: 'tier_first_edge', usage: { cache_read_input_tokens: 900, input_tokens: 100, output_tokens: 10 } },
    { at, model: 'syn-tiers', name: 'tier_second', usage: { cache_read_input_tokens: 1500, input_tokens: 501, output_tokens: 10 } },
  )
  for (const when of [
    '2025-12-31T09:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T09:00:00.000Z',
    '2026-01-01T19:59:59.999Z', '2026-01-01T20:00:00.000Z', '2026-01-01T06:29:59.999Z', '2026-01-01T06:30:00.000Z',
    '2026-01-01T12:00:00.499Z', '2026-01-01T12:00:00.500Z', '2026-01-01T16:59:59.999Z', '2026-01-01T17:00:00.000Z',
  ]) {
    cases.push({ at: when, model: 'syn-timed', name: 'time', usage: usages.plain })
  }
  return cases
}

// overlapProvider prices overlapping units (audio input and cache reads
// overlap in audio cache reads), which Anthropic's do not, through an
// extractor of its own that gives the Messages API fields made-up
// meanings: input_tokens (required) counts audio cache reads,
// cache_creation_input_tokens audio input, ephemeral_5m image input,
// ephemeral_1h image cache reads (optional).
export function overlapProvider() {
  const m = (path, dest, required = false) => ({ dest, path, required })
  return {
    api_pattern: 'https://overlap\\.invalid',
    extractors: [{
      api_flavor: 'default',
      mappings: [
        m('input_tokens', 'input_tokens', true),
        m('input_tokens', 'cache_audio_read_tokens', true),
        m('cache_creation_input_tokens', 'input_tokens'),
        m('cache_creation_input_tokens', 'input_audio_tokens'),
        m('cache_read_input_tokens', 'input_tokens'),
        m('cache_read_input_tokens', 'cache_read_tokens'),
        m(['cache_creation', 'ephemeral_5m_input_tokens'], 'input_tokens'),
        m(['cache_creation', 'ephemeral_5m_input_tokens'], 'input_image_tokens'),
        m(['cache_creation', 'ephemeral_1h_input_tokens'], 'cache_image_read_tokens'),
        m('output_tokens', 'output_tokens', true),
      ],
      model_path: 'model',
      root: 'usage',
    }],
    id: 'overlap',
    models: [{
      id: 'overlap',
      match: { equals: 'overlap' },
      prices: {
        cache_audio_read_mtok: 0.5,
        cache_image_read_mtok: 0.25,
        cache_read_mtok: 0.1,
        input_audio_mtok: 5,
        input_image_mtok: 2.5,
        input_mtok: 1,
        output_mtok: 10,
      },
    }],
    name: 'Overlap',
  }
}

export function overlapCases() {
  const at = '2026-06-01T09:00:00.000Z'
  const split = (m5, h1) => ({ ephemeral_1h_input_tokens: h1, ephemeral_5m_input_tokens: m5 })
  return [
    { name: 'all', usage: { cache_creation: split(4, 1), cache_creation_input_tokens: 5, cache_read_input_tokens: 6, input_tokens: 2, output_tokens: 7 } },
    // A required field is there when zero, so the audio overlap is known.
    { name: 'required_zero', usage: { cache_creation: split(4, 1), cache_creation_input_tokens: 5, cache_read_input_tokens: 6, input_tokens: 0, output_tokens: 7 } },
    // Image input and cache reads overlap, and the overlap is not given.
    { name: 'overlap_missing', usage: { cache_creation: { ephemeral_5m_input_tokens: 4 }, cache_creation_input_tokens: 5, cache_read_input_tokens: 6, input_tokens: 2, output_tokens: 7 } },
    { name: 'no_reads', usage: { cache_creation: { ephemeral_5m_input_tokens: 4 }, cache_creation_input_tokens: 5, input_tokens: 0, output_tokens: 7 } },
    { name: 'parts_exceed', usage: { cache_creation_input_tokens: 1, cache_read_input_tokens: 6, input_tokens: 2, output_tokens: 7 } },
  ].map((c) => ({ ...c, at, model: 'overlap' }))
}
