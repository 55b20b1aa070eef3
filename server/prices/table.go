package prices

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// Table is one provider of the dataset: its models, in the dataset's
// order, and how a Messages API usage maps onto the dataset's fields.
type Table struct {
	Version string // of the package the snapshot was taken from
	Date    string // of the snapshot (YYYY-MM-DD)

	models    []Model
	extractor []mapping
	units     *units
}

// Model is a model of the dataset, or a price override from the
// configuration.
type Model struct {
	ID   string
	Name string

	match  rule
	prices []conditional
	table  *Table
}

// Cost is what u cost at t, in US dollars, by the dataset's rules:
// unrounded, as calcPrice leaves it. An error is a usage calcPrice
// refuses (cache-write parts that exceed the writes), which has no price.
func (m Model) Cost(u Usage, at time.Time) (float64, error) {
	if m.table == nil {
		return 0, errors.New("pricing a call: no model")
	}
	usage, err := extract(m.table.extractor, u)
	if err == nil {
		var v float64
		if v, err = pricesAt(m.prices, at).cost(m.table.units, usage); err == nil {
			return v, nil
		}
	}
	return 0, fmt.Errorf("pricing a call to %s: %w", m.ID, err)
}

type snapshotJSON struct {
	Version  string `json:"version"`
	Date     string `json:"date"`
	Provider struct {
		ID        string `json:"id"`
		Extractor struct {
			Root     json.RawMessage `json:"root"`
			Mappings []struct {
				Path     json.RawMessage `json:"path"`
				Dest     string          `json:"dest"`
				Required bool            `json:"required"`
			} `json:"mappings"`
		} `json:"extractor"`
		Models []struct {
			ID     string          `json:"id"`
			Name   string          `json:"name"`
			Match  json.RawMessage `json:"match"`
			Prices json.RawMessage `json:"prices"`
		} `json:"models"`
	} `json:"provider"`
	Units map[string]unitJSON `json:"units"`
}

// parse reads a snapshot as scripts/prices/snapshot.mjs writes it, and
// checks it the way calcPrice checks its data when it prices with it.
func parse(data []byte) (*Table, error) {
	var s snapshotJSON
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("reading the price snapshot: %w", err)
	}
	if s.Version == "" || s.Date == "" || len(s.Provider.Models) == 0 {
		return nil, errors.New("reading the price snapshot: no version, date or models")
	}
	us, err := parseUnits(s.Units)
	if err != nil {
		return nil, fmt.Errorf("reading the price snapshot: %w", err)
	}
	t := &Table{Version: s.Version, Date: s.Date, units: us}
	if root, err := parsePath(s.Provider.Extractor.Root); err != nil || root != "usage" {
		return nil, fmt.Errorf("reading the price snapshot: extractor root %s: want usage", s.Provider.Extractor.Root)
	}
	for _, m := range s.Provider.Extractor.Mappings {
		path, err := parsePath(m.Path)
		if err != nil {
			return nil, fmt.Errorf("reading the price snapshot: extractor: %w", err)
		}
		if u := us.byKey[m.Dest]; u == nil || !u.reported() {
			return nil, fmt.Errorf("reading the price snapshot: extractor destination %q is no unit", m.Dest)
		}
		t.extractor = append(t.extractor, mapping{path: path, dest: m.Dest, required: m.Required})
	}
	for _, mj := range s.Provider.Models {
		m := Model{ID: mj.ID, Name: mj.Name, table: t}
		if m.match, err = parseRule(mj.Match); err == nil {
			m.prices, err = parseConditionals(us, mj.Prices)
		}
		if err != nil {
			return nil, fmt.Errorf("reading the price snapshot: model %s: %w", mj.ID, err)
		}
		t.models = append(t.models, m)
	}
	return t, nil
}

// parseConditionals reads a model's prices: one ModelPrice, or a list of
// them under constraints.
func parseConditionals(us *units, raw json.RawMessage) ([]conditional, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		ps, err := parsePriceSet(us, raw)
		return []conditional{{prices: ps}}, err
	}
	var list []struct {
		Constraint json.RawMessage `json:"constraint"`
		Prices     json.RawMessage `json:"prices"`
	}
	if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
		return nil, fmt.Errorf("prices %s: want a price or a non-empty list of them", raw)
	}
	out := make([]conditional, len(list))
	for i, c := range list {
		ps, err := parsePriceSet(us, c.Prices)
		if err != nil {
			return nil, err
		}
		out[i].prices = ps
		if len(c.Constraint) > 0 && string(c.Constraint) != "null" {
			if out[i].constraint, err = parseConstraint(c.Constraint); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// parsePriceSet keeps the prices in the dataset's order, which is the
// order calcPrice adds them up in.
func parsePriceSet(us *units, raw json.RawMessage) (priceSet, error) {
	keys, obj, err := orderedObject(raw)
	if err != nil {
		return nil, fmt.Errorf("prices %s: %w", raw, err)
	}
	var ps priceSet
	var set []*unit
	for _, key := range keys {
		u := us.byPrice[key]
		if u == nil {
			return nil, fmt.Errorf("price %s: no such unit", key)
		}
		p := price{unit: u}
		var tj struct {
			Base  *float64 `json:"base"`
			Tiers []struct {
				Start *float64 `json:"start"`
				Price *float64 `json:"price"`
			} `json:"tiers"`
		}
		if string(obj[key]) == "null" {
			return nil, fmt.Errorf("price %s: null", key)
		}
		if json.Unmarshal(obj[key], &p.flat) != nil {
			if err := json.Unmarshal(obj[key], &tj); err != nil || tj.Base == nil || tj.Tiers == nil {
				return nil, fmt.Errorf("price %s: %s is neither a number nor tiered prices", key, obj[key])
			}
			p.tiers = &tiered{base: *tj.Base}
			for _, tr := range tj.Tiers {
				if tr.Start == nil || tr.Price == nil || *tr.Start < 0 || *tr.Start != math.Trunc(*tr.Start) || *tr.Start > 1<<53-1 || !validPrice(*tr.Price) {
					return nil, fmt.Errorf("price %s: bad tier in %s", key, obj[key])
				}
				p.tiers.tiers = append(p.tiers.tiers, tier{start: int64(*tr.Start), price: *tr.Price})
			}
			sort.SliceStable(p.tiers.tiers, func(i, j int) bool { return p.tiers.tiers[i].start < p.tiers.tiers[j].start })
			if us.byKey["input_tokens"] == nil {
				return nil, fmt.Errorf("price %s: tiered, but no input_tokens unit to tier by", key)
			}
		}
		if !validPrice(p.flat) || (p.tiers != nil && !validPrice(p.tiers.base)) {
			return nil, fmt.Errorf("price %s: %s is not a number >= 0", key, obj[key])
		}
		ps = append(ps, p)
		set = append(set, u)
	}
	return ps, us.checkPriced(set)
}

// orderedObject reads a JSON object with its keys in order.
func orderedObject(raw json.RawMessage) ([]string, map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, errors.New("want an object")
	}
	var keys []string
	obj := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		if _, dup := obj[key]; dup {
			return nil, nil, fmt.Errorf("%s twice", key)
		}
		keys, obj[key] = append(keys, key), v
	}
	return keys, obj, nil
}

func validPrice(f float64) bool { return f >= 0 && !math.IsInf(f, 0) }

// parseConstraint reads the two constraint forms calcPrice knows.
func parseConstraint(raw json.RawMessage) (*constraint, error) {
	var c map[string]string
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("constraint %s: %w", raw, err)
	}
	switch {
	case c["type"] == "start_date" && len(c) == 2:
		d, err := time.Parse(time.DateOnly, c["start_date"])
		if err != nil {
			return nil, fmt.Errorf("constraint %s: %w", raw, err)
		}
		return &constraint{startDate: d}, nil
	case c["type"] == "time_of_date" && len(c) == 3:
		start, err1 := timeOfDay(c["start_time"])
		end, err2 := timeOfDay(c["end_time"])
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("constraint %s: %w", raw, err)
		}
		return &constraint{timeOfDay: true, start: start, end: end}, nil
	}
	return nil, fmt.Errorf("constraint %s: want a start_date or a time_of_date", raw)
}

var timeOfDayRE = regexp.MustCompile(`^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$`)

// timeOfDay is the package's reading of a time of day with its offset
// ("22:00:00+02:00"): seconds into the UTC day.
func timeOfDay(s string) (float64, error) {
	m := timeOfDayRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("invalid time of day %q", s)
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	offset := 0
	if m[5] != "Z" {
		offset = (n(7)*60 + n(8)) * 60
		if m[6] == "-" {
			offset = -offset
		}
	}
	if n(1) > 23 || n(2) > 59 || n(3) > 59 || (m[5] != "Z" && (n(7) > 23 || n(8) > 59)) {
		return 0, fmt.Errorf("invalid time of day %q", s)
	}
	frac := 0.0
	if m[4] != "" {
		frac, _ = strconv.ParseFloat("0."+m[4], 64)
	}
	secs := float64(n(1)*3600+n(2)*60+n(3)) + frac
	return math.Mod(secs-float64(offset)+86400, 86400), nil
}
