package report

import (
	"bytes"
	"fmt"
	"image/color"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The chart's segments, bottom to top; "small" pools the outcomes with
// fewer than 5 cases in a bar.
var chartSegments = append([]string{"open"}, append(Outcomes, "small")...)

var chartColors = map[string]color.Color{
	"open":               color.RGBA{0x9e, 0xc5, 0xe8, 0xff},
	"job_found":          color.RGBA{0x2e, 0x7d, 0x32, 0xff},
	"enrolled":           color.RGBA{0x66, 0xbb, 0x6a, 0xff},
	"loan_referred":      color.RGBA{0xf9, 0xa8, 0x25, 0xff},
	"referred_elsewhere": color.RGBA{0x8d, 0x6e, 0x63, 0xff},
	"no_longer_needed":   color.RGBA{0x90, 0xa4, 0xae, 0xff},
	"unreachable":        color.RGBA{0xe5, 0x73, 0x73, 0xff},
	"data_erased":        color.RGBA{0x54, 0x6e, 0x7a, 0xff},
	"consent_withdrawn":  color.RGBA{0x78, 0x90, 0x9c, 0xff},
	"small":              color.RGBA{0xcf, 0xcf, 0xcf, 0xff},
}

// maxBars is how many communes get a bar of their own at most.
const maxBars = 25

type chartBar struct {
	name  string
	total int
	segs  map[string]int
}

// bars applies the small-number rule to the cases opened in the month:
// communes under 5 cases share the last bar, and in every bar the
// outcomes under 5 share the "small" segment.
func (r *Report) bars(l Labels, lang string) []chartBar {
	type commune struct {
		code  string
		total int
	}
	var cs []commune
	for code, m := range r.Opened {
		n := 0
		for _, v := range m {
			n += v
		}
		cs = append(cs, commune{code, n})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].total != cs[j].total {
			return cs[i].total > cs[j].total
		}
		return cs[i].code < cs[j].code
	})
	var out []chartBar
	rest := chartBar{name: l.T(lang, "report_chart_rest", nil), segs: map[string]int{}}
	for _, c := range cs {
		if c.total >= SmallCount && len(out) < maxBars {
			name := r.names[c.code]
			if c.code == "" || name == "" {
				name = l.T(lang, "report_no_commune", nil)
			}
			b := chartBar{name: name, total: c.total, segs: map[string]int{}}
			for k, v := range r.Opened[c.code] {
				b.segs[k] += v
			}
			out = append(out, b)
			continue
		}
		rest.total += c.total
		for k, v := range r.Opened[c.code] {
			rest.segs[k] += v
		}
	}
	if rest.total > 0 {
		out = append(out, rest)
	}
	for i := range out {
		pooled := map[string]int{}
		for k, v := range out[i].segs {
			known := false
			for _, s := range chartSegments {
				known = known || s == k
			}
			if v < SmallCount || !known {
				pooled["small"] += v
			} else {
				pooled[k] = v
			}
		}
		out[i].segs = pooled
	}
	return out
}

// ChartPNG draws the cases opened in the month by commune and by what
// became of them (still open, or the outcome they were closed with), as
// horizontal stacked bars.
func (r *Report) ChartPNG(l Labels, lang string) ([]byte, error) {
	bars := r.bars(l, lang)
	p := plot.New()
	sans := font.Font{Typeface: "Liberation", Variant: "Sans"}
	p.Title.TextStyle.Font = font.From(sans, 14)
	p.X.Label.TextStyle.Font = font.From(sans, 11)
	p.X.Tick.Label.Font = font.From(sans, 10)
	p.Y.Tick.Label.Font = font.From(sans, 10)
	legend := plot.NewLegend() // drawn below the plot, not over the bars
	legend.TextStyle.Font = font.From(sans, 10)
	legend.Padding = vg.Points(4)
	scope := l.T(lang, "report_scope_province", nil)
	if !r.Audience.Province() {
		scope = l.T(lang, "report_scope_communes", map[string]any{"Count": len(r.Audience.Communes)})
	}
	p.Title.Text = l.T(lang, "report_chart_title", map[string]any{"Month": r.monthLabel(), "Scope": scope})
	p.X.Label.Text = l.T(lang, "report_chart_x", nil)
	p.X.Min = 0

	names := make([]string, len(bars))
	for i, b := range bars {
		names[len(bars)-1-i] = fmt.Sprintf("%s (%d)", b.name, b.total) // largest at the top
	}
	var below *plotter.BarChart
	entries := 0
	maxTotal := 0
	for _, b := range bars {
		maxTotal = max(maxTotal, b.total)
	}
	for _, seg := range chartSegments {
		vals := make(plotter.Values, len(bars))
		seen := false
		for i, b := range bars {
			vals[len(bars)-1-i] = float64(b.segs[seg])
			seen = seen || b.segs[seg] > 0
		}
		if !seen {
			continue
		}
		bc, err := plotter.NewBarChart(vals, vg.Points(18))
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		bc.Horizontal = true
		bc.Color = chartColors[seg]
		bc.LineStyle.Width = 0
		if below != nil {
			bc.StackOn(below)
		}
		below = bc
		p.Add(bc)
		var label string
		switch seg {
		case "open":
			label = l.T(lang, "report_chart_open", nil)
		case "small":
			label = l.T(lang, "report_chart_small", nil)
		default:
			label = l.T(lang, "outcome_"+seg, nil)
		}
		legend.Add(label, bc)
		entries++
	}
	if len(bars) == 0 {
		names = []string{l.T(lang, "report_chart_empty", nil)}
		p.Y.Min, p.Y.Max = -1, 1
	}
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.7, float64(len(names))-0.3
	p.X.Max = float64(max(maxTotal, 5)) * 1.05
	legend.Top, legend.Left = true, true

	const dpi = 144
	width := vg.Points(720)
	legendH := vg.Points(17*float64(entries) + 36)
	height := vg.Points(90+26*float64(max(len(bars), 1))) + legendH
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	p.BackgroundColor = color.Transparent
	p.Draw(draw.Crop(dc, 0, -vg.Points(10), legendH, 0))
	leg := draw.Crop(dc, vg.Points(20), 0, vg.Points(4), -(height - legendH))
	legend.Draw(leg)
	note := legend.TextStyle
	note.Color = color.Gray{Y: 0x60}
	leg.FillText(note, vg.Point{X: leg.Min.X, Y: leg.Min.Y + vg.Points(2)}, l.T(lang, "report_chart_note", nil))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	return buf.Bytes(), nil
}
