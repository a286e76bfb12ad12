package metrics

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// cost works out what each provider's contract buys, from engagement by
// provider (and school, where asked) and the contracts in the providers
// table:
//   - per_student: the price times the students served;
//   - per_hour: the price times the hours delivered (sessions held, whether
//     the student came or not: what a provider bills);
//   - total: the contract's total, shared between schools by attended hours.
//
// Cost per 0.1 SD of effect needs the impact estimates and is added by the
// impact family's caller.
func (r *Runner) cost(ctx context.Context, opt Options) (*Table, error) {
	by := []string{"provider"}
	if contains(opt.By, "school") {
		by = append(by, "school")
	}
	var ignored []string
	for _, d := range opt.By {
		if d != "provider" && d != "school" {
			ignored = append(ignored, d)
		}
	}
	// Contracts are priced for the year, so cost is for the whole year.
	if opt.Period != "" && opt.Period != "year" {
		ignored = append(ignored, "--period "+opt.Period+" (contracts are priced for the whole school year)")
	}
	e, err := r.runFamily(ctx, engagementFamily, Options{Period: "year", By: by, unwithheld: true})
	if err != nil {
		return nil, err
	}
	contracts, err := r.contracts(ctx)
	if err != nil {
		return nil, err
	}
	col := func(name string) int { return indexOf(e.Columns, name) }
	prov, school := col("provider"), col("school")
	served, hours, delivered, meeting := col("students_served"), col("hours_attended"), col("hours_delivered"), col("students_meeting_target")
	// Attended hours per provider, to share a total contract between schools.
	providerHours := map[string]float64{}
	for _, row := range e.Rows {
		if !row.Total && row.Values[prov] != nil {
			providerHours[fmt.Sprint(row.Values[prov])] += asFloat(row.Values[hours])
		}
	}
	t := &Table{Period: e.Period, From: e.From, To: e.To, By: e.By, MinCellSize: e.MinCellSize, Note: cutNote("cost", "provider and school", ignored),
		Columns: []string{"provider", "school", "contract", "students_served", "hours_attended", "hours_delivered",
			"students_meeting_target", "total_cost", "cost_per_student_served", "cost_per_hour_attended", "cost_per_student_meeting_target"}}
	var totalCost float64
	var totalRow []any
	// The total's unit costs count the groups that have a price: a provider
	// without a contract would lower them with students that cost nothing here.
	var pricedServed, pricedMeeting int64 // students: counts, shown as such
	var pricedHours, pricedDelivered float64
	anyUnpriced := false
	for _, row := range e.Rows {
		if row.Total {
			totalRow = row.Values
			continue
		}
		p := fmt.Sprint(row.Values[prov])
		c, ok := contracts[p]
		var s any
		if school >= 0 {
			s = row.Values[school]
		}
		out := Row{Values: []any{row.Values[prov], s, c.describe(), row.Values[served], row.Values[hours], row.Values[delivered], row.Values[meeting], nil, nil, nil, nil}}
		if ok && c.priced() {
			// Every group's cost counts in the total, withheld or not: the
			// table's own withholding comes after.
			total := c.cost(asFloat(row.Values[served]), asFloat(row.Values[delivered]), asFloat(row.Values[hours]), providerHours[p])
			totalCost += total
			fillCost(out.Values, total)
			pricedServed += asInt(row.Values[served])
			pricedHours += asFloat(row.Values[hours])
			pricedDelivered += asFloat(row.Values[delivered])
			pricedMeeting += asInt(row.Values[meeting])
		} else {
			anyUnpriced = true
		}
		t.Rows = append(t.Rows, out)
	}
	if totalRow != nil {
		out := Row{Total: true, Values: []any{nil, nil, nil, totalRow[served], totalRow[hours], totalRow[delivered], totalRow[meeting], nil, nil, nil, nil}}
		if anyUnpriced {
			// Students of several providers are counted once in the total
			// row; with a provider unpriced, the priced groups' sums serve.
			out.Values[3], out.Values[4], out.Values[5], out.Values[6] = pricedServed, pricedHours, pricedDelivered, pricedMeeting
			t.Note = strings.TrimSpace(t.Note + " The total counts only the providers with a contract in the config.")
		}
		fillCost(out.Values, totalCost)
		t.Rows = append(t.Rows, out)
	}
	if school < 0 {
		t.Columns = append(t.Columns[:1], t.Columns[2:]...)
		for i := range t.Rows {
			t.Rows[i].Values = append(t.Rows[i].Values[:1], t.Rows[i].Values[2:]...)
		}
		if err := r.costPerEffect(ctx, t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// costPerEffect adds, per subject, the cost per student served for each
// 0.1 SD of the provider's adjusted effect, where that effect is shown and
// positive (a null or negative effect has no price per unit of growth).
func (r *Runner) costPerEffect(ctx context.Context, t *Table) error {
	imp, err := r.impactTable(ctx, Options{})
	if err != nil {
		return err
	}
	// Only an effect that is shown and whose 95% interval lies above zero
	// is priced: dividing by a small or uncertain effect gives a number
	// that means nothing. Where a subject has several assessments, the one
	// with the most tutored students counts.
	effects := map[string]map[string]float64{} // subject -> provider -> effect
	tutored := map[string]int64{}
	for _, row := range imp.Rows {
		v := row.Values
		model, _ := v[2].(string)
		p, ok := strings.CutPrefix(model, "provider ")
		if !ok || v[4] == nil || v[6] == nil || v[6].(float64) <= 0 {
			continue
		}
		subject := fmt.Sprint(v[0])
		n, _ := v[9].(int64)
		if n < tutored[subject+"\x00"+p] {
			continue
		}
		tutored[subject+"\x00"+p] = n
		if effects[subject] == nil {
			effects[subject] = map[string]float64{}
		}
		effects[subject][p] = v[4].(float64)
	}
	addCostPerEffect(t, effects)
	return nil
}

// addCostPerEffect adds one column per subject: cost per student served x
// 0.1 / the provider's effect in SD.
func addCostPerEffect(t *Table, effects map[string]map[string]float64) {
	subjects := make([]string, 0, len(effects))
	for s := range effects {
		subjects = append(subjects, s)
	}
	sort.Strings(subjects)
	perStudent := indexOf(t.Columns, "cost_per_student_served")
	for _, subject := range subjects {
		t.Columns = append(t.Columns, "cost_per_student_per_0.1_sd_"+subject)
		for i := range t.Rows {
			var v any
			row := t.Rows[i]
			if e, ok := effects[subject][fmt.Sprint(row.Values[0])]; ok && e > 0 && !row.Total && row.Values[perStudent] != nil {
				v = asFloat(row.Values[perStudent]) * 0.1 / e
			}
			t.Rows[i].Values = append(t.Rows[i].Values, v)
		}
	}
}

// fillCost sets the total and the unit costs of a cost row (columns as in
// cost's table, before the school column is dropped).
func fillCost(v []any, total float64) {
	v[7] = total
	v[8] = ratio(total, v[3])
	v[9] = ratio(total, v[4])
	v[10] = ratio(total, v[6])
}

func ratio(total float64, per any) any {
	d := asFloat(per)
	if d == 0 {
		return nil
	}
	return total / d
}

type contract struct{ perStudent, perHour, total float64 }

func (c contract) priced() bool { return c.perStudent > 0 || c.perHour > 0 || c.total > 0 }

func (c contract) describe() string {
	switch {
	case c.perStudent > 0:
		return fmt.Sprintf("%.0f per student served", c.perStudent)
	case c.perHour > 0:
		return fmt.Sprintf("%.0f per hour delivered", c.perHour)
	case c.total > 0:
		return fmt.Sprintf("%.0f in total", c.total)
	}
	return "no cost in the config"
}

// cost is what a contract costs for a group; a total contract is shared by
// the group's part of the provider's attended hours.
func (c contract) cost(served, delivered, attended, providerAttended float64) float64 {
	switch {
	case c.perStudent > 0:
		return c.perStudent * served
	case c.perHour > 0:
		return c.perHour * delivered
	case c.total > 0 && providerAttended > 0:
		return c.total * attended / providerAttended
	}
	return 0
}

func (r *Runner) contracts(ctx context.Context) (map[string]contract, error) {
	rows, err := r.c.QueryContext(ctx, `SELECT provider_id, coalesce(cost_per_student, 0), coalesce(cost_per_hour, 0), coalesce(cost_total, 0) FROM providers`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]contract{}
	for rows.Next() {
		var id string
		var c contract
		if err := rows.Scan(&id, &c.perStudent, &c.perHour, &c.total); err != nil {
			return nil, err
		}
		out[id] = c
	}
	return out, rows.Err()
}

func asFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case int:
		return float64(x)
	}
	return 0
}
